package org.taylormlp.taylor;

import org.taylormlp.model.TensorNames;

/**
 * Names and keys of the release file format (see docs/RELEASE_FORMAT.md). A release is a safetensors file whose
 * {@code __metadata__} carries {@link #KEY_FORMAT} = {@link #FORMAT}.
 */
public final class ReleaseFormat {
    private ReleaseFormat() {}

    public static final String FORMAT = "taylormlp-release";
    public static final int VERSION = 1;

    public static final String KEY_FORMAT = "format";
    public static final String KEY_VERSION = "format_version";
    public static final String KEY_TOOL = "tool_version";
    public static final String KEY_CONFIG = "config";
    public static final String KEY_TAYLOR = "taylor";
    public static final String KEY_TOKENIZER = "tokenizer";
    public static final String KEY_SOURCE_SHA256 = "source_sha256";
    public static final String KEY_SOURCE_NAME = "source_name";
    /** JSON object: tensor name to hex SHA-256 of its stored bytes, in file order. */
    public static final String KEY_TENSOR_SHA256 = "tensor_sha256";
    /** Hex SHA-256 of the canonical form (see {@link ReleaseIntegrity#canonicalBytes}). */
    public static final String KEY_METADATA_SHA256 = "metadata_sha256";
    /** Signed releases: the recipient ID the copy was issued to. */
    public static final String KEY_RECIPIENT = "recipient";
    /** Signed releases: hex SHA-256 of the owner's Ed25519 public key (X.509 DER). */
    public static final String KEY_OWNER_KEY_ID = "owner_key_id";
    /** Signed releases: the signature algorithm, {@code Ed25519}. */
    public static final String KEY_SIGNATURE_ALGORITHM = "signature_algorithm";
    /** Signed releases: base64 Ed25519 signature of the canonical form. */
    public static final String KEY_SIGNATURE = "signature";

    /** Model metadata key under which a loaded release exposes its parsed {@link #KEY_TAYLOR} object. */
    public static final String MODEL_METADATA_KEY = "taylormlp.release";

    /** Model metadata keys with this prefix are written into the release's metadata (prefix removed) by the protector. */
    public static final String EXTRA_METADATA_PREFIX = "release.metadata.";

    /** True for the per-layer Taylor tensors ({@code blk.N.taylor_*}) a release stores instead of protected MLP rows. */
    public static boolean isTaylorTensor(String name) {
        if (!name.startsWith("blk.")) return false;
        int dot = name.indexOf('.', 4);
        return dot > 0 && name.startsWith("taylor_", dot + 1);
    }

    public static String taylorIn(int layer) { return TensorNames.blk(layer, "taylor_in.weight"); }
    public static String taylorInBias(int layer) { return TensorNames.blk(layer, "taylor_in.bias"); }
    public static String taylorUp(int layer) { return TensorNames.blk(layer, "taylor_up.weight"); }
    public static String taylorTheta(int layer) { return TensorNames.blk(layer, "taylor_theta.weight"); }
    public static String taylorZ0(int layer) { return TensorNames.blk(layer, "taylor_z0"); }
}
