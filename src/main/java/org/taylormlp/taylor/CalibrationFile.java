package org.taylormlp.taylor;

import org.taylormlp.TaylorMlpException;
import org.taylormlp.format.ModelFormatException;
import org.taylormlp.format.safetensors.SafetensorsFile;
import org.taylormlp.format.safetensors.SafetensorsWriter;
import org.taylormlp.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Saves calibration statistics as a small safetensors file: per layer l, {@code l.min}, {@code l.max},
 * {@code l.mean}, {@code l.std} [hidden] and {@code l.quantiles} [hidden, 9] (levels in
 * {@link CalibrationStats#LEVELS}); metadata {@code format=taylormlp-calibration}, {@code tokens}, {@code layers},
 * {@code hidden}.
 */
public final class CalibrationFile {
    private CalibrationFile() {}

    public static final String FORMAT = "taylormlp-calibration";

    public static void save(CalibrationStats s, Path out, String sourceName) {
        SafetensorsWriter w = new SafetensorsWriter();
        w.putMetadata("format", FORMAT);
        w.putMetadata("tokens", Long.toString(s.tokens()));
        w.putMetadata("layers", Integer.toString(s.layers()));
        w.putMetadata("hidden", Integer.toString(s.neurons()));
        w.putMetadata("source_name", sourceName);
        int h = s.neurons(), q = CalibrationStats.LEVELS.length;
        for (int l = 0; l < s.layers(); l++) {
            float[] mn = new float[h], mx = new float[h], mean = new float[h], std = new float[h], qs = new float[h * q];
            for (int j = 0; j < h; j++) {
                mn[j] = s.min(l, j);
                mx[j] = s.max(l, j);
                mean[j] = (float) s.mean(l, j);
                std[j] = (float) s.std(l, j);
                for (int k = 0; k < q; k++) qs[j * q + k] = s.quantile(l, j, k);
            }
            w.addTensor(Tensor.ofFloats(l + ".min", mn, h));
            w.addTensor(Tensor.ofFloats(l + ".max", mx, h));
            w.addTensor(Tensor.ofFloats(l + ".mean", mean, h));
            w.addTensor(Tensor.ofFloats(l + ".std", std, h));
            w.addTensor(Tensor.ofFloats(l + ".quantiles", qs, h, q));
        }
        try {
            w.write(out);
        } catch (IOException e) {
            throw new TaylorMlpException("cannot write " + out + ": " + e.getMessage(), e);
        }
    }

    /** Opens the safetensors container; a file that is not one at all is reported as "not a calibration file". */
    private static SafetensorsFile openCalibration(Path in) throws IOException {
        if (!java.nio.file.Files.isRegularFile(in)) throw new ModelFormatException(in, "no such calibration file");
        try {
            return SafetensorsFile.open(in);
        } catch (ModelFormatException e) {
            throw new ModelFormatException(in, "not a taylormlp calibration file (not even a safetensors file; write one with "
                    + "`taylormlp calibrate`)", e);
        }
    }

    public static CalibrationStats load(Path in) {
        try (SafetensorsFile f = openCalibration(in)) {
            if (!FORMAT.equals(f.metadata().get("format"))) {
                throw new ModelFormatException(in, "not a taylormlp calibration file (a safetensors file without its metadata; "
                        + "write one with `taylormlp calibrate`)");
            }
            int layers = parse(in, f, "layers"), hidden = parse(in, f, "hidden");
            long tokens = Long.parseLong(f.metadata().getOrDefault("tokens", "0"));
            int q = CalibrationStats.LEVELS.length;
            float[][] mn = new float[layers][], mx = new float[layers][];
            double[][] mean = new double[layers][], std = new double[layers][];
            float[][][] qs = new float[layers][hidden][];
            for (int l = 0; l < layers; l++) {
                mn[l] = get(in, f, l + ".min", hidden);
                mx[l] = get(in, f, l + ".max", hidden);
                mean[l] = toDouble(get(in, f, l + ".mean", hidden));
                std[l] = toDouble(get(in, f, l + ".std", hidden));
                float[] all = get(in, f, l + ".quantiles", (long) hidden * q);
                for (int j = 0; j < hidden; j++) qs[l][j] = Arrays.copyOfRange(all, j * q, j * q + q);
            }
            return new CalibrationStats(tokens, mn, mx, mean, std, qs);
        } catch (IOException e) {
            throw new ModelFormatException(in, "cannot read: " + e.getMessage(), e);
        } catch (NumberFormatException e) {
            throw new ModelFormatException(in, "bad number in calibration metadata");
        }
    }

    private static int parse(Path p, SafetensorsFile f, String key) {
        int v = Integer.parseInt(f.metadata().getOrDefault(key, "-1"));
        if (v <= 0 || v > 1 << 22) throw new ModelFormatException(p, "calibration metadata '" + key + "' out of range");
        return v;
    }

    private static float[] get(Path p, SafetensorsFile f, String name, long size) {
        Tensor t = f.tensor(name);
        if (t == null) throw new ModelFormatException(p, "calibration file lacks tensor " + name);
        if (t.size() != size) throw new ModelFormatException(p, "calibration tensor " + name + " has " + t.size() + " values, expected " + size);
        return t.toFloats();
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }
}
