package org.taylormlp.robust;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.taylormlp.synth.SyntheticModels;
import org.taylormlp.synth.SyntheticModels.Family;
import org.taylormlp.format.AtomicFiles;
import org.taylormlp.format.gguf.GgufFile;
import org.taylormlp.format.safetensors.SafetensorsFile;
import org.taylormlp.model.Model;
import org.taylormlp.model.ModelLoader;
import org.taylormlp.runtime.Engine;
import org.taylormlp.taylor.CalibrationFile;
import org.taylormlp.tensor.Tensor;

import javax.imageio.ImageIO;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Nothing lost: {@code calibrate}, {@code protect}, {@code convert}, {@code eval} and {@code audit} killed with
 * SIGKILL at a random moment (20 trials, 4 per command, delays drawn uniformly over the command's measured run
 * time, seeded) never leave a partial file under a final name: every file that exists afterwards, except the
 * {@code *.tmp} siblings of the atomic writes, is complete (models and releases open and every tensor reads;
 * calibration files load; JSON parses; PNGs decode; Markdown ends with its final newline). And {@code eval --resume}
 * continues after such a kill, reusing the sections saved before it.
 */
@org.junit.jupiter.api.Tag("slow")
class KillSafetyTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int TRIALS = 20;

    @TempDir
    static Path dir;
    static Path model, text, calib, release;
    /** Per command: its arguments given an output path, and the reference run's wall time. */
    static final List<String[]> COMMANDS = new ArrayList<>();
    static final List<Long> MILLIS = new ArrayList<>();

    @BeforeAll
    static void references() throws Exception {
        model = dir.resolve("tiny.gguf");
        SyntheticModels.write(SyntheticModels.tiny(Family.LLAMA), "gguf", model, Long.MAX_VALUE);
        text = dir.resolve("text.txt");
        Random r = new Random(1);
        String[] w = "the and was once upon time there little girl boy she he they her his with for that said very happy play park big dog cat day sun tree".split(" ");
        StringBuilder sb = new StringBuilder();
        for (int p = 0; p < 80; p++) {
            for (int i = 0; i < 60; i++) sb.append(i == 0 ? "" : " ").append(w[r.nextInt(w.length)]);
            sb.append(".\n\n");
        }
        Files.writeString(text, sb);
        calib = dir.resolve("ref-calib.safetensors");
        release = dir.resolve("ref-release.safetensors");
        reference("calibrate", "-m", model.toString(), "--text", text.toString(), "--max-tokens", "2000", "-t", "1", "-o", calib.toString());
        reference("protect", "-m", model.toString(), "--calibration", calib.toString(), "--order", "8", "-t", "1", "-o", release.toString());
        reference("convert", model.toString(), "--to", "safetensors", "--dtype", "f16", "-o", dir.resolve("ref-convert").toString());
        reference("eval", "--original", model.toString(), "--release", release.toString(), "--data", text.toString(), "--max-tokens", "300",
                "--ctx", "64", "--prompts", "2", "--greedy-tokens", "4", "--speed-reps", "0", "-t", "1", "--out", dir.resolve("ref-eval").toString());
        reference("audit", release.toString(), "--original", model.toString(), "--text", text.toString(), "--skip-learning",
                "--attacks", "zero_query", "--eval-tokens", "200", "-t", "1", "--out", dir.resolve("ref-audit").toString());
    }

    private static void reference(String... args) throws Exception {
        ChildCli.Run run = ChildCli.run(dir.resolve("logs-ref-" + args[0]), 600, args);
        assertThat(run.code()).as(String.join(" ", args) + "\n" + run.stderr()).isZero();
        COMMANDS.add(args);
        MILLIS.add(run.millis());
        Path out = Path.of(args[args.length - 1]);
        assertThat(out).exists();
        assertThat(completeFiles(out)).as("files of the complete " + args[0] + " run").isPositive();
    }

    @Test
    void sigkillAtRandomMomentsNeverLeavesPartialFiles() throws Exception {
        Random r = new Random(20241203);
        StringBuilder log = new StringBuilder();
        for (int trial = 0; trial < TRIALS; trial++) {
            int c = trial % COMMANDS.size();
            String[] args = COMMANDS.get(c).clone();
            Path out = dir.resolve("trial-" + trial + "-" + args[0] + suffix(args[args.length - 1]));
            args[args.length - 1] = out.toString();
            long delay = (long) (r.nextDouble() * MILLIS.get(c));
            Process p = ChildCli.start(dir.resolve("logs-trial-" + trial), args);
            boolean exited = p.waitFor(delay, TimeUnit.MILLISECONDS);
            p.destroyForcibly(); // SIGKILL
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            if (exited) {
                assertThat(p.exitValue()).as("trial " + trial + " (" + args[0] + ") exited before the kill: "
                        + Files.readString(dir.resolve("logs-trial-" + trial).resolve("stderr"))).isZero();
            }
            int complete = completeFiles(out);
            long tmp = tmpFiles(out);
            log.append(String.format("trial %2d %-9s kill at %5d ms of %5d: %s, %d complete files, %d .tmp%n", trial, args[0],
                    delay, MILLIS.get(c), exited ? "had exited" : "killed", complete, tmp));
        }
        System.out.print(log);
    }

    @Test
    void evalResumeContinuesAfterSigkill() throws Exception {
        String[] args = COMMANDS.get(3).clone();
        assertThat(args[0]).isEqualTo("eval");
        Path out = dir.resolve("resume-eval");
        args[args.length - 1] = out.toString();
        Process p = ChildCli.start(dir.resolve("logs-resume-1"), args);
        Path ck = out.resolve("checkpoints");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(600);
        while (jsonCount(ck) == 0 && p.isAlive() && System.nanoTime() < deadline) Thread.sleep(5);
        p.destroyForcibly(); // SIGKILL as soon as the first section is saved
        p.waitFor();
        int saved = jsonCount(ck);
        assertThat(saved).as("sections saved before the kill; stderr: " + Files.readString(dir.resolve("logs-resume-1/stderr"))).isPositive();
        completeFiles(out);
        String[] again = java.util.Arrays.copyOf(args, args.length + 1);
        again[args.length] = "--resume";
        ChildCli.Run run = ChildCli.run(dir.resolve("logs-resume-2"), 600, again);
        assertThat(run.code()).as(run.stderr()).isZero();
        assertThat(run.stderr()).contains("resume: reusing");
        assertThat(JSON.readTree(out.resolve("report.json").toFile()).isObject()).isTrue();
        assertThat(completeFiles(out)).isGreaterThan(saved);
    }

    private static String suffix(String refOut) {
        String name = Path.of(refOut).getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot < 0 ? "" : name.substring(dot);
    }

    private static int jsonCount(Path d) throws IOException {
        if (!Files.isDirectory(d)) return 0;
        try (Stream<Path> s = Files.list(d)) {
            return (int) s.filter(f -> f.getFileName().toString().endsWith(".json")).count();
        }
    }

    private static long tmpFiles(Path p) throws IOException {
        if (!Files.exists(p) && !Files.exists(AtomicFiles.tmpFor(p))) return 0;
        if (!Files.isDirectory(p)) return Files.exists(AtomicFiles.tmpFor(p)) ? 1 : 0;
        try (Stream<Path> s = Files.walk(p)) {
            return s.filter(f -> f.getFileName().toString().endsWith(".tmp")).count();
        }
    }

    /** Checks every file under {@code p} except {@code *.tmp} is complete; returns how many there are. */
    static int completeFiles(Path p) throws IOException {
        if (!Files.exists(p)) return 0;
        if (Files.isDirectory(p)) {
            int n = 0;
            try (Stream<Path> s = Files.list(p)) {
                for (Path f : s.toList()) n += completeFiles(f);
            }
            return n;
        }
        String name = p.getFileName().toString();
        if (name.endsWith(".tmp")) return 0;
        String what = "file " + p + " (" + Files.size(p) + " bytes)";
        if (name.endsWith(".gguf")) {
            try (GgufFile g = GgufFile.open(p)) {
                for (Tensor t : g.tensors()) t.toFloats();
            }
        } else if (name.endsWith(".safetensors")) {
            try (SafetensorsFile f = SafetensorsFile.open(p)) {
                for (String n : f.tensorNames()) f.tensor(n).toFloats();
                if ("taylormlp-calibration".equals(f.metadata().get("format"))) CalibrationFile.load(p);
            }
            if (name.contains("protect") || name.startsWith("ref-release")) {
                try (Model m = org.taylormlp.runtime.Models.load(p)) {
                    assertThat(m.format()).as(what).isEqualTo("release");
                }
            }
        } else if (name.endsWith(".json")) {
            assertThat(JSON.readTree(p.toFile())).as(what).isNotNull();
        } else if (name.endsWith(".png")) {
            assertThat(ImageIO.read(p.toFile())).as(what).isNotNull();
        } else {
            String s = Files.readString(p);
            assertThat(s).as(what + " is text ending in a newline").isNotEmpty().endsWith("\n");
        }
        return 1;
    }
}
