package org.taylormlp.robust;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.taylormlp.format.AtomicFiles;
import org.taylormlp.format.gguf.GgufFile;
import org.taylormlp.format.safetensors.SafetensorsFile;
import org.taylormlp.model.Model;
import org.taylormlp.synth.SyntheticModels;
import org.taylormlp.synth.SyntheticModels.Family;
import org.taylormlp.taylor.CalibrationFile;
import org.taylormlp.tensor.Tensor;

import javax.imageio.ImageIO;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The machinery of the kill tests ({@link KillSafetyTest}, {@link KillSafetySlowTest}): the commands that write
 * files, run in fresh JVMs and killed with SIGKILL while they write.
 *
 * <p>A reference run of each command is watched: every 0.1 ms the watcher lists the {@code *.tmp} files of the
 * atomic writes under the output, and records for each one when it was first and last seen (its write window).
 * A trial then picks one of those writes and a fraction f in [0, 1), waits for that temp file to appear, waits f
 * times the reference window more, and sends SIGKILL. Whether the kill landed inside the write is then a fact, not
 * a guess: the atomic write renames its temp file away when it completes, so a {@code .tmp} that remains after the
 * kill proves the process died while writing it. Every trial checks that each file under a final name is complete.
 */
final class KillSafety {
    private KillSafety() {}

    static final ObjectMapper JSON = new ObjectMapper();

    /** A command whose output path is its last argument. */
    record Command(String name, String[] args) {
        String[] withOut(Path out) {
            String[] a = args.clone();
            a[a.length - 1] = out.toString();
            return a;
        }

        String suffix() {
            String n = Path.of(args[args.length - 1]).getFileName().toString();
            int dot = n.lastIndexOf('.');
            return dot < 0 ? "" : n.substring(dot);
        }
    }

    /** One atomic write seen in the reference run: the temp file (relative to the output) and how long it was seen. */
    record Window(String tmp, long firstNanos, long lastNanos) {
        long nanos() { return Math.max(0, lastNanos - firstNanos); }
    }

    /** A reference run: wall time and the write windows, in the order they opened. */
    record Reference(Command command, long millis, List<Window> windows) {}

    /** The inputs: a tiny synthetic Llama (GGUF), a text, and its calibration file and release made in this JVM. */
    record Inputs(Path model, Path text, Path calib, Path release) {}

    static Inputs inputs(Path dir) throws IOException {
        Path model = dir.resolve("tiny.gguf");
        SyntheticModels.write(SyntheticModels.tiny(Family.LLAMA), "gguf", model, Long.MAX_VALUE);
        Path text = dir.resolve("text.txt");
        Random r = new Random(1);
        String[] w = "the and was once upon time there little girl boy she he they her his with for that said very happy play park big dog cat day sun tree".split(" ");
        StringBuilder sb = new StringBuilder();
        for (int p = 0; p < 80; p++) {
            for (int i = 0; i < 60; i++) sb.append(i == 0 ? "" : " ").append(w[r.nextInt(w.length)]);
            sb.append(".\n\n");
        }
        Files.writeString(text, sb);
        Path calib = dir.resolve("ref-calib.safetensors");
        Path release = dir.resolve("ref-release.safetensors");
        inProcess(calibrate(model, text, calib).args);
        inProcess(protect(model, calib, release).args);
        return new Inputs(model, text, calib, release);
    }

    private static void inProcess(String... args) {
        org.taylormlp.cli.CliCapture.Run run = org.taylormlp.cli.CliCapture.run(args);
        assertThat(run.exit()).as(String.join(" ", args) + "\n" + run.err()).isZero();
    }

    static Command calibrate(Path model, Path text, Path out) {
        return new Command("calibrate", new String[] {"calibrate", "-m", model.toString(), "--text", text.toString(), "--max-tokens", "2000",
                "-t", "1", "-o", out.toString()});
    }

    static Command protect(Path model, Path calib, Path out) {
        return new Command("protect", new String[] {"protect", "-m", model.toString(), "--calibration", calib.toString(), "--order", "8",
                "-t", "1", "-o", out.toString()});
    }

    static Command convert(Path model, Path out) {
        return new Command("convert", new String[] {"convert", model.toString(), "--to", "safetensors", "--dtype", "f16", "-o", out.toString()});
    }

    static Command eval(Inputs in, Path out) {
        return new Command("eval", new String[] {"eval", "--original", in.model.toString(), "--release", in.release.toString(), "--data",
                in.text.toString(), "--max-tokens", "300", "--ctx", "64", "--prompts", "2", "--greedy-tokens", "4", "--speed-reps", "0",
                "-t", "1", "--out", out.toString()});
    }

    static Command audit(Inputs in, Path out) {
        return new Command("audit", new String[] {"audit", in.release.toString(), "--original", in.model.toString(), "--text",
                in.text.toString(), "--skip-learning", "--attacks", "zero_query", "--eval-tokens", "200", "-t", "1", "--out", out.toString()});
    }

    /** Runs the command to the end in a fresh JVM, watching its atomic writes. */
    static Reference reference(Path dir, Command c) throws Exception {
        Path out = dir.resolve("ref-" + c.name + "-out" + c.suffix());
        Path logs = dir.resolve("logs-ref-" + c.name);
        long t0 = System.nanoTime();
        Process p = ChildCli.start(logs, c.withOut(out));
        Map<String, long[]> seen = new LinkedHashMap<>();
        long deadline = t0 + TimeUnit.SECONDS.toNanos(600);
        while (p.isAlive() && System.nanoTime() < deadline) {
            long now = System.nanoTime() - t0;
            for (String t : tmps(out)) seen.computeIfAbsent(t, k -> new long[] {now, now})[1] = now;
            LockSupport.parkNanos(100_000);
        }
        if (p.isAlive()) {
            p.destroyForcibly().waitFor();
            throw new AssertionError(c.name + ": reference run still running after 600 s");
        }
        long millis = (System.nanoTime() - t0) / 1_000_000;
        assertThat(p.exitValue()).as(c.name + ": " + Files.readString(logs.resolve("stderr"))).isZero();
        assertThat(tmps(out)).as("temp files left by a complete run").isEmpty();
        assertThat(completeFiles(out)).as("files of the complete " + c.name + " run").isPositive();
        List<Window> w = new ArrayList<>();
        for (Map.Entry<String, long[]> e : seen.entrySet()) w.add(new Window(e.getKey(), e.getValue()[0], e.getValue()[1]));
        return new Reference(c, millis, w);
    }

    /** The outcome of one trial. */
    record Trial(int no, String command, String target, boolean exited, boolean killed, long killAtMillis, int complete, Set<String> leftTmp) {
        boolean caughtWriting() { return !leftTmp.isEmpty(); }

        String line() {
            return String.format("trial %2d %-9s %-34s kill at %6d ms: %-10s %2d complete files, temp files left: %s", no, command,
                    target, killAtMillis, exited ? "had exited" : killed ? "killed" : "not killed", complete, leftTmp.isEmpty() ? "none" : leftTmp);
        }
    }

    /**
     * One trial: with {@code window} null, SIGKILL after {@code fraction} of the reference run's wall time; else once
     * the window's temp file has appeared, after {@code fraction} of the reference window more. Then checks the
     * files left under final names.
     */
    static Trial trial(Path dir, int no, Reference ref, Window window, double fraction) throws Exception {
        Command c = ref.command;
        Path out = dir.resolve("trial-" + no + "-" + c.name + c.suffix());
        Path logs = dir.resolve("logs-trial-" + no);
        long t0 = System.nanoTime();
        Process p = ChildCli.start(logs, c.withOut(out));
        long deadline = t0 + TimeUnit.SECONDS.toNanos(600);
        long killAt = window == null ? t0 + (long) (fraction * ref.millis * 1_000_000) : Long.MAX_VALUE;
        while (p.isAlive() && System.nanoTime() < deadline) {
            if (killAt == Long.MAX_VALUE && tmps(out).contains(window.tmp)) {
                killAt = System.nanoTime() + (long) (fraction * window.nanos());
            }
            if (System.nanoTime() >= killAt) break;
            LockSupport.parkNanos(window == null ? 1_000_000 : 100_000);
        }
        boolean exited = !p.isAlive();
        long at = (System.nanoTime() - t0) / 1_000_000;
        p.destroyForcibly(); // SIGKILL
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        if (exited) {
            assertThat(p.exitValue()).as("trial " + no + " (" + c.name + ") exited before the kill: "
                    + Files.readString(logs.resolve("stderr"))).isZero();
        }
        Set<String> left = new TreeSet<>();
        for (String t : tmps(out)) left.add(t.isEmpty() ? AtomicFiles.tmpFor(out).getFileName().toString() : t);
        int complete = completeFiles(out);
        String target = window == null ? String.format("at %.2f of the run", fraction)
                : String.format("%.2f into %s", fraction, window.tmp.isEmpty() ? "the output" : window.tmp);
        return new Trial(no, c.name, target, exited, !exited, at, complete, left);
    }

    /** The temp files of atomic writes under {@code out}: "" for {@code out.tmp} itself, else paths relative to {@code out}. */
    static Set<String> tmps(Path out) {
        Set<String> s = new TreeSet<>();
        if (Files.exists(AtomicFiles.tmpFor(out))) s.add("");
        if (!Files.isDirectory(out)) return s;
        try (Stream<Path> st = Files.walk(out, 4)) {
            st.filter(f -> f.getFileName().toString().endsWith(".tmp")).forEach(f -> s.add(out.relativize(f).toString()));
        } catch (NoSuchFileException | UncheckedIOException raced) {
            // a file renamed or deleted while listing: the next poll sees the new state
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return s;
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
                assertThat(g.trailingBytes()).as(what).isZero();
                for (Tensor t : g.tensors()) t.toFloats();
            }
        } else if (name.endsWith(".safetensors")) {
            try (SafetensorsFile f = SafetensorsFile.open(p)) {
                for (String n : f.tensorNames()) f.tensor(n).toFloats();
                if ("taylormlp-calibration".equals(f.metadata().get("format"))) CalibrationFile.load(p);
            }
            if (name.contains("protect") || name.contains("release")) {
                try (Model m = org.taylormlp.runtime.Models.load(p)) { // checks the release's digests
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

    /**
     * Runs the trials over the references: per reference, {@code targeted} trials aimed at its writes (cycling
     * through them, the fraction into the window drawn uniformly) and {@code random} trials at uniform moments of
     * the run. Returns the trials; prints their log.
     */
    static List<Trial> trials(Path dir, List<Reference> refs, int targeted, int random, long seed) throws Exception {
        Random r = new Random(seed);
        List<Trial> all = new ArrayList<>();
        int no = 0;
        for (Reference ref : refs) {
            assertThat(ref.windows).as(ref.command.name + ": the watcher saw no atomic write in the reference run").isNotEmpty();
            for (int k = 0; k < targeted; k++) {
                // spread the targets over the writes, largest windows first
                List<Window> ws = new ArrayList<>(ref.windows);
                ws.sort((a, b) -> Long.compare(b.nanos(), a.nanos()));
                all.add(trial(dir, no++, ref, ws.get(k % ws.size()), (k + r.nextDouble()) / targeted));
            }
            for (int k = 0; k < random; k++) all.add(trial(dir, no++, ref, null, r.nextDouble()));
        }
        StringBuilder log = new StringBuilder();
        for (Reference ref : refs) {
            log.append(String.format("reference %-9s %6d ms, %d atomic writes seen, longest %s%n", ref.command.name, ref.millis, ref.windows.size(),
                    ref.windows.stream().max((a, b) -> Long.compare(a.nanos(), b.nanos())).map(w -> String.format("%.1f ms (%s)",
                            w.nanos() / 1e6, w.tmp.isEmpty() ? "the output" : w.tmp)).orElse("-")));
        }
        all.forEach(t -> log.append(t.line()).append('\n'));
        long caught = all.stream().filter(Trial::caughtWriting).count();
        log.append(String.format("%d trials, %d killed while a temp file existed, %d killed between writes, %d had exited%n", all.size(), caught,
                all.stream().filter(t -> t.killed() && !t.caughtWriting()).count(), all.stream().filter(Trial::exited).count()));
        System.out.print(log);
        return all;
    }

    /** {@code eval} killed as soon as its first section is saved, then {@code eval --resume}: it reuses the saved sections and finishes. */
    static void evalResumesAfterKill(Path dir, Inputs in) throws Exception {
        Command c = eval(in, dir.resolve("resume-eval"));
        Path out = dir.resolve("resume-eval");
        Process p = ChildCli.start(dir.resolve("logs-resume-1"), c.args);
        Path ck = out.resolve("checkpoints");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(600);
        while (jsonCount(ck) == 0 && p.isAlive() && System.nanoTime() < deadline) LockSupport.parkNanos(500_000);
        p.destroyForcibly(); // SIGKILL as soon as the first section is saved
        p.waitFor();
        int saved = jsonCount(ck);
        assertThat(saved).as("sections saved before the kill; stderr: " + Files.readString(dir.resolve("logs-resume-1/stderr"))).isPositive();
        assertThat(Files.exists(out.resolve("report.json"))).as("killed before the report").isFalse();
        completeFiles(out);
        String[] again = Arrays.copyOf(c.args, c.args.length + 1);
        again[c.args.length] = "--resume";
        ChildCli.Run run = ChildCli.run(dir.resolve("logs-resume-2"), 600, again);
        assertThat(run.code()).as(run.stderr()).isZero();
        assertThat(run.stderr()).contains("resume: reusing");
        assertThat(JSON.readTree(out.resolve("report.json").toFile()).isObject()).isTrue();
        assertThat(completeFiles(out)).isGreaterThan(saved);
        assertThat(tmps(out)).isEmpty();
    }

    private static int jsonCount(Path d) throws IOException {
        if (!Files.isDirectory(d)) return 0;
        try (Stream<Path> s = Files.list(d)) {
            return (int) s.filter(f -> f.getFileName().toString().endsWith(".json")).count();
        } catch (NoSuchFileException raced) {
            return 0;
        }
    }
}
