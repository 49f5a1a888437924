package org.taylormlp.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.taylormlp.TestProcesses;
import org.taylormlp.synth.SyntheticModels;
import org.taylormlp.convert.ModelWriters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.abort;

/**
 * Our Hugging Face name table ({@link HfNames}) and the config.json keys our writer and loader use, checked
 * against llama.cpp's own HF→GGUF converter: the llama.cpp source that ships inside the oracle's npm package
 * (node-llama-cpp, {@code scripts/install-oracle.sh} → {@code target/llama-oracle}; its {@code llama/gitRelease.bundle}
 * is a git bundle of llama.cpp). The Python files are read as data, never run:
 * <ul>
 *   <li>{@code gguf-py/gguf/constants.py}: {@code TENSOR_NAMES} (tensor enum → GGUF name) and {@code MODEL_TENSORS}
 *       (arch → the tensors it has);</li>
 *   <li>{@code gguf-py/gguf/tensor_mapping.py}: tensor enum → the HF names the converter accepts for it;</li>
 *   <li>{@code conversion/*.py}: which converter class (and GGUF arch) registers the HF {@code architectures} value
 *       our writer puts in config.json, and which config keys the converters read.</li>
 * </ul>
 * A symmetric naming bug (writer and reader both wrong) passes every round trip of ours; it cannot pass this.
 * The oracle package is installed from npm if it is absent (as the oracle tests do); without its llama.cpp source
 * the test is skipped, with a message naming it.
 */
class HfNamesLlamaCppTest {
    static final Path ORACLE = Path.of("target", "llama-oracle", "node_modules", "node-llama-cpp");
    static final ObjectMapper JSON = new ObjectMapper();

    /**
     * config.json keys llama.cpp's converter does not read, with the reason; each is still a real transformers key.
     * bos/eos ids: gguf-py's SpecialVocab reads them as {@code f"{typ}_token_id"} (checked below); biases:
     * llama.cpp infers them from the tensors present; max_window_layers: Qwen2's per-layer window switch, which
     * llama.cpp ignores (our writer sets it to all layers).
     */
    static final Set<String> NOT_READ_BY_LLAMA_CPP = Set.of("bos_token_id", "eos_token_id", "attention_bias", "mlp_bias",
            "max_window_layers");

    static String constants, mapping, vocab;
    static Map<String, String> conversion = new TreeMap<>();

    @TempDir
    static Path tmp;

    @BeforeAll
    static void readLlamaCpp() throws Exception {
        // installed here as the oracle tests install it (run first, this class used to find no package and abort,
        // which the reports counted as no test at all rather than as a skip)
        org.taylormlp.oracle.LlamaOracle.ensureInstalled();
        Path src = ORACLE.resolve("llama").resolve("llama.cpp");
        Path bundle = ORACLE.resolve("llama").resolve("gitRelease.bundle");
        if (Files.isRegularFile(src.resolve("gguf-py/gguf/constants.py"))) {
            constants = Files.readString(src.resolve("gguf-py/gguf/constants.py"));
            mapping = Files.readString(src.resolve("gguf-py/gguf/tensor_mapping.py"));
            vocab = Files.readString(src.resolve("gguf-py/gguf/vocab.py"));
            try (var files = Files.list(src.resolve("conversion"))) {
                for (Path p : (Iterable<Path>) files::iterator) {
                    if (p.toString().endsWith(".py")) conversion.put(p.getFileName().toString(), Files.readString(p));
                }
            }
            return;
        }
        if (!Files.isRegularFile(bundle)) {
            abort("llama.cpp source not found: the npm package node-llama-cpp (scripts/install-oracle.sh installs it into "
                    + "target/llama-oracle) is absent, so " + bundle + " does not exist");
        }
        Path repo = tmp.resolve("llama.cpp.git");
        git(null, "init", "-q", "--bare", repo.toString());
        git(repo, "fetch", "-q", bundle.toAbsolutePath().toString(), "HEAD");
        constants = git(repo, "show", "FETCH_HEAD:gguf-py/gguf/constants.py");
        mapping = git(repo, "show", "FETCH_HEAD:gguf-py/gguf/tensor_mapping.py");
        vocab = git(repo, "show", "FETCH_HEAD:gguf-py/gguf/vocab.py");
        for (String f : git(repo, "ls-tree", "--name-only", "FETCH_HEAD", "conversion/").lines().toList()) {
            if (f.endsWith(".py")) conversion.put(f.substring("conversion/".length()), git(repo, "show", "FETCH_HEAD:" + f));
        }
        if (conversion.isEmpty()) {
            // older llama.cpp: one convert_hf_to_gguf.py holds every converter class
            conversion.put("convert_hf_to_gguf.py", git(repo, "show", "FETCH_HEAD:convert_hf_to_gguf.py"));
        }
    }

    static String git(Path repo, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("git"));
        if (repo != null) cmd.addAll(List.of("--git-dir", repo.toString()));
        cmd.addAll(List.of(args));
        TestProcesses.Result r;
        try {
            // ~2 s on an idle machine for the 35 MB bundle; over 120 s at load average 50
            r = TestProcesses.run(new ProcessBuilder(cmd), Duration.ofSeconds(600), String.join(" ", cmd));
        } catch (IOException e) {
            abort("git is needed to read llama.cpp's source from node-llama-cpp's gitRelease.bundle: " + e.getMessage());
            throw e;
        }
        assertThat(r.exitCode()).as(r.output()).isZero();
        return r.stdout();
    }

    // ------------------------------------------------------------------------------------------ parsing (data only)

    /** The text of a top-level (or class-level) dict literal {@code NAME ... = {} up to its closing brace. */
    static String dictBlock(String source, String name) {
        Matcher m = Pattern.compile("(?m)^([ \\t]*)" + Pattern.quote(name) + "\\b[^\\n=]*=[ \\t]*\\{[ \\t]*$").matcher(source);
        assertThat(m.find()).as("llama.cpp source has a dict %s", name).isTrue();
        String indent = m.group(1);
        Matcher end = Pattern.compile("(?m)^" + Pattern.quote(indent) + "}").matcher(source);
        assertThat(end.find(m.end())).as("end of dict %s", name).isTrue();
        return source.substring(m.end(), end.start());
    }

    /** Entries {@code KEY_PREFIX.X: value...} of a dict block: X → the raw value text up to the next entry. */
    static Map<String, String> entries(String block, String keyPrefix) {
        Map<String, String> out = new LinkedHashMap<>();
        Matcher m = Pattern.compile("(?m)^\\s*" + Pattern.quote(keyPrefix) + "\\.(\\w+)\\s*:").matcher(block);
        List<int[]> spans = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        while (m.find()) {
            keys.add(m.group(1));
            spans.add(new int[]{m.start(), m.end()});
        }
        for (int i = 0; i < keys.size(); i++) {
            int end = i + 1 < keys.size() ? spans.get(i + 1)[0] : block.length();
            out.merge(keys.get(i), stripComments(block.substring(spans.get(i)[1], end)), (x, y) -> x + "\n" + y);
        }
        return out;
    }

    static String stripComments(String s) {
        StringBuilder b = new StringBuilder();
        for (String line : s.split("\n")) {
            int hash = line.indexOf('#');
            b.append(hash >= 0 ? line.substring(0, hash) : line).append('\n');
        }
        return b.toString();
    }

    static List<String> strings(String s) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("\"([^\"]*)\"").matcher(s);
        while (m.find()) out.add(m.group(1));
        return out;
    }

    /** TENSOR_NAMES: enum name → GGUF name template ({@code blk.{bid}.attn_q}). */
    static Map<String, String> tensorNames() {
        Map<String, String> out = new HashMap<>();
        entries(dictBlock(constants, "TENSOR_NAMES"), "MODEL_TENSOR").forEach((k, v) -> {
            List<String> s = strings(v);
            if (!s.isEmpty()) out.put(k, s.getFirst());
        });
        assertThat(out).containsKeys("TOKEN_EMBD", "ATTN_Q", "FFN_GATE");
        return out;
    }

    /** MODEL_TENSORS[arch]: the tensor enum names an architecture has. */
    static Set<String> archTensors(String arch) {
        String v = entries(dictBlock(constants, "MODEL_TENSORS"), "MODEL_ARCH").get(arch);
        assertThat(v).as("MODEL_TENSORS has MODEL_ARCH.%s", arch).isNotNull();
        Set<String> out = new java.util.HashSet<>();
        Matcher m = Pattern.compile("MODEL_TENSOR\\.(\\w+)").matcher(v);
        while (m.find()) out.add(m.group(1));
        return out;
    }

    /** tensor_mapping.py: enum name → HF name templates, from mappings_cfg, block_mappings_cfg and the arch's overrides. */
    static Map<String, List<String>> hfMapping(String arch) {
        Map<String, List<String>> out = new HashMap<>();
        for (String dict : List.of("mappings_cfg", "block_mappings_cfg")) {
            entries(dictBlock(mapping, dict), "MODEL_TENSOR").forEach((k, v) -> out.computeIfAbsent(k, x -> new ArrayList<>()).addAll(strings(v)));
        }
        String perArch = entries(dictBlock(mapping, "arch_block_mappings_cfg"), "MODEL_ARCH").get(arch);
        if (perArch != null) {
            // an arch's own table replaces the generic entries it names
            entries(perArch, "MODEL_TENSOR").forEach((k, v) -> out.put(k, new ArrayList<>(strings(v))));
        }
        return out;
    }

    /** The converter module and GGUF arch registered for an HF {@code architectures} value. */
    record Converter(String file, String arch) {}

    static Converter converterFor(String hfArchitecture) {
        Pattern reg = Pattern.compile("@ModelBase\\.register\\(([^)]*)\\)");
        for (Map.Entry<String, String> f : conversion.entrySet()) {
            Matcher m = reg.matcher(f.getValue());
            while (m.find()) {
                if (!strings(m.group(1)).contains(hfArchitecture)) continue;
                Matcher cls = Pattern.compile("(?m)^class \\w+\\([^)]*\\):").matcher(f.getValue());
                assertThat(cls.find(m.end())).isTrue();
                int next = f.getValue().indexOf("\nclass ", cls.end());
                String body = f.getValue().substring(cls.end(), next < 0 ? f.getValue().length() : next);
                Matcher arch = Pattern.compile("model_arch\\s*=\\s*gguf\\.MODEL_ARCH\\.(\\w+)").matcher(body);
                assertThat(arch.find()).as("%s: model_arch of the class registering %s", f.getKey(), hfArchitecture).isTrue();
                return new Converter(f.getKey(), arch.group(1));
            }
        }
        throw new AssertionError("llama.cpp has no converter registered for \"" + hfArchitecture + "\"");
    }

    static String template(String name) {
        return name.replaceFirst("^model\\.layers\\.\\d+\\.", "model.layers.{bid}.").replaceFirst("^blk\\.\\d+\\.", "blk.{bid}.");
    }

    static String[] stem(String name) {
        for (String suffix : List.of(".weight", ".bias")) {
            if (name.endsWith(suffix)) return new String[]{name.substring(0, name.length() - suffix.length()), suffix};
        }
        throw new AssertionError("tensor name without .weight/.bias: " + name);
    }

    // ------------------------------------------------------------------------------------------ the checks

    @ParameterizedTest
    @EnumSource(SyntheticModels.Family.class)
    void tensorNamesAndConfigKeysMatchLlamaCppsConverter(SyntheticModels.Family family) throws Exception {
        Architecture a = family.architecture();
        Path hf = tmp.resolve(family + "-hf");
        try (Model m = SyntheticModels.create(SyntheticModels.tiny(family))) {
            ModelWriters.writeHf(m, null, hf, ModelWriters.DEFAULT_SHARD_BYTES);
        }
        JsonNode config = JSON.readTree(hf.resolve("config.json").toFile());
        String hfArch = config.get("architectures").get(0).asText();
        Converter conv = converterFor(hfArch);
        Map<String, String> ggufNames = tensorNames();
        Set<String> archTensors = archTensors(conv.arch());
        Map<String, List<String>> accepted = hfMapping(conv.arch());

        // 1. every entry of our table: HF name ↔ GGUF name as llama.cpp's converter maps them
        Map<String, String> ours = new LinkedHashMap<>(HfNames.global(a));
        HfNames.layer(a).forEach((k, v) -> ours.put("model.layers.3." + k, "blk.3." + v));
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, String> e : ours.entrySet()) {
            String[] h = stem(e.getKey()), g = stem(e.getValue());
            if (!h[1].equals(g[1])) problems.add(e.getKey() + " -> " + e.getValue() + ": suffix differs");
            // several enums can share a GGUF name (FFN_NORM and FFN_PRE_NORM are both blk.{bid}.ffn_norm): the arch's own
            List<String> enums = new ArrayList<>();
            ggufNames.forEach((k, v) -> {
                if (v.equals(template(g[0]))) enums.add(k);
            });
            if (enums.isEmpty()) {
                problems.add(e.getValue() + ": not a GGUF tensor name in llama.cpp's TENSOR_NAMES");
                continue;
            }
            List<String> inArch = enums.stream().filter(archTensors::contains).toList();
            if (inArch.isEmpty()) {
                problems.add(e.getValue() + ": none of " + enums + " is in MODEL_TENSORS[" + conv.arch() + "]");
                continue;
            }
            if (inArch.stream().noneMatch(x -> accepted.getOrDefault(x, List.of()).contains(template(h[0])))) {
                problems.add(e.getKey() + " -> " + e.getValue() + ": llama.cpp maps " + template(h[0]) + " to "
                        + whereMapped(accepted, template(h[0])) + ", not MODEL_TENSOR." + inArch);
            }
        }
        // 2. the HF folder we write holds only names of that table, every one known to the converter
        try (var st = org.taylormlp.format.safetensors.SafetensorsFolder.open(hf)) {
            for (String n : st.tensorNames()) {
                if (HfNames.toCanonical(a, n) == null) problems.add(n + ": written but not in HfNames");
                else if (whereMapped(accepted, template(stem(n)[0])).isEmpty()) problems.add(n + ": unknown to llama.cpp's tensor_mapping.py");
            }
        }
        // 3. config.json keys: each one we write is a key llama.cpp's converters read (for some family: Mistral's
        //    sliding_window, for one, is read by the Qwen2/Phi-3 code, and model_type by the Mistral/Qwen code)
        String readers = String.join("\n", conversion.values());
        for (Iterator<Map.Entry<String, JsonNode>> it = config.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            List<String> keys = new ArrayList<>(List.of(f.getKey()));
            if (f.getValue().isObject()) f.getValue().fieldNames().forEachRemaining(keys::add);
            for (String k : keys) {
                if (NOT_READ_BY_LLAMA_CPP.contains(k)) continue;
                if (!readers.contains("\"" + k + "\"") && !readers.contains("'" + k + "'")) {
                    problems.add("config.json key \"" + k + "\": read by none of llama.cpp's converters");
                }
            }
        }
        assertThat(vocab).as("gguf-py reads bos/eos ids as <typ>_token_id").contains("_token_id");
        System.out.printf("%s: %s -> llama.cpp %s (%s), %d table entries and %d config keys checked%n", family, hfArch,
                conv.arch(), conv.file(), ours.size(), config.size());
        assertThat(problems).as("%s vs llama.cpp %s (%s)", family, conv.arch(), conv.file()).isEmpty();
    }

    static List<String> whereMapped(Map<String, List<String>> accepted, String hfTemplate) {
        List<String> out = new ArrayList<>();
        accepted.forEach((k, v) -> {
            if (v.contains(hfTemplate)) out.add("MODEL_TENSOR." + k);
        });
        return out;
    }
}
