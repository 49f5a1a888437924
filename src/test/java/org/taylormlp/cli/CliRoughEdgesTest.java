package org.taylormlp.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.taylormlp.TestFiles;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** What a new user meets first: help texts, versions, exit codes, and one clear line for a wrong file. */
class CliRoughEdgesTest {
    @TempDir
    Path dir;

    record Run(int code, String out, String err) {}

    static synchronized Run run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int code = Main.execute(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    static List<String> commands() {
        return new ArrayList<>(new CommandLine(new Main()).getSubcommands().keySet());
    }

    @Test
    void everyHelpPrintsWithoutPicocliWarningsAndListsTheExitCodes() {
        assertThat(commands()).contains("generate", "protect", "eval", "demo", "audit");
        for (String c : commands()) {
            Run r = run(c, "--help");
            assertThat(r.code).as(c).isZero();
            assertThat(r.out + r.err).as(c + " --help").doesNotContain("picocli WARN").doesNotContain("Could not format");
            assertThat(r.out).as(c + " --help").contains("Exit codes:").contains("invalid argument");
        }
        String protect = run("protect", "--help").out;
        assertThat(protect).contains("paper:P% | radius:M").containsPattern("1 = 90\\s+%").doesNotContain("%%");
    }

    @Test
    void commandSummariesAreWholeSentencesAndEveryOptionIsDescribed() {
        CommandLine root = new CommandLine(new Main());
        for (var e : root.getSubcommands().entrySet()) {
            String[] d = e.getValue().getCommandSpec().usageMessage().description();
            assertThat(d).as(e.getKey()).isNotEmpty();
            assertThat(d[0].strip()).as(e.getKey() + " summary (the first description line, shown by taylormlp --help)").endsWith(".");
            for (var o : e.getValue().getCommandSpec().options()) {
                assertThat(String.join(" ", o.description()).strip()).as(e.getKey() + " " + o.longestName()).isNotEmpty();
            }
        }
        Run top = run("--help");
        assertThat(top.out).contains("Compare a release with its original").contains("The whole pipeline on stories15M");
        assertThat(run("demo", "--help").out).containsPattern("-t, --threads=K\\s+compute threads");
    }

    @Test
    void helpIsACommandAndEveryCommandPrintsItsVersion() {
        Run h = run("help");
        assertThat(h.code).isZero();
        assertThat(h.out).contains("Usage: taylormlp").contains("generate");
        Run he = run("help", "eval");
        assertThat(he.code).isZero();
        assertThat(he.out).contains("Usage: taylormlp eval");
        for (String c : commands()) {
            if (c.equals("help")) continue;
            Run v = run(c, "-V");
            assertThat(v.code).as(c).isZero();
            assertThat(v.out).as(c + " -V").startsWith("taylormlp " + Main.VERSION);
        }
    }

    @Test
    void everyInvalidArgumentExitsWith2AndRuntimeErrorsWith1() throws Exception {
        String m = TestFiles.smallModel().toString();
        assertThat(run("generate", "-m", m, "--temperature", "abc").code).as("malformed value").isEqualTo(2);
        assertThat(run("generate", "-m", m, "-n", "-5").code).as("value out of range").isEqualTo(2);
        assertThat(run("generate", "--no-such-option").code).as("unknown option").isEqualTo(2);
        assertThat(run("generate").code).as("missing required option").isEqualTo(2);
        assertThat(run("calibrate", "-m", m, "-o", dir.resolve("c").toString()).code).as("neither --text nor --self-text").isEqualTo(2);
        assertThat(run("synth", "--family", "gpt9", "--to", "gguf", "--out", dir.resolve("z.gguf").toString()).code).isEqualTo(2);
        Run missing = run("inspect", dir.resolve("absent.gguf").toString());
        assertThat(missing.code).as("a file that is not there is a runtime error").isEqualTo(1);
    }

    @Test
    void aTextFileNamedGgufIsReportedAsNoModelInOneLine() throws Exception {
        Path x = dir.resolve("x.gguf");
        Files.writeString(x, "hello, this is a note I saved with the wrong name.\nIt is not a model.\n");
        Run r = run("inspect", x.toString());
        assertThat(r.code).isEqualTo(1);
        String line = r.err.strip();
        assertThat(line.lines().count()).as(line).isEqualTo(1);
        assertThat(line).contains("not GGUF").contains("not safetensors").contains("not a llama2.c checkpoint")
                .contains("text file").doesNotContain("dim=");
    }

    @Test
    void aTextFileGivenAsCalibrationIsNotACalibrationFile() throws Exception {
        Path readme = dir.resolve("README.md");
        Files.writeString(readme, "# taylormlp\n\nA CPU inference engine. This text is longer than eight bytes.\n");
        Run r = run("protect", "-m", TestFiles.smallModel().toString(), "--calibration", readme.toString(), "-o",
                dir.resolve("r.safetensors").toString());
        assertThat(r.code).isEqualTo(1);
        assertThat(r.err).contains("not a taylormlp calibration file").doesNotContain("header length");
        assertThat(dir.resolve("r.safetensors")).doesNotExist();
    }

    @Test
    void generateEndsItsOutputWithANewline() {
        Run r = run("generate", "-m", TestFiles.smallModel().toString(), "--prompt", "Once upon a time", "-n", "12", "--temperature", "0");
        assertThat(r.code).isZero();
        assertThat(r.out).startsWith("Once upon a time").endsWith("\n");
    }

    @Test
    void auditSummaryExplainsAMissingRegressionCount() throws Exception {
        ObjectMapper json = new ObjectMapper();
        var notRun = json.readTree("{\"regression_tokens_needed\": null, \"attacks\": {}}");
        assertThat(AuditCommand.shown("regression_tokens_needed", notRun, new int[]{32, 64})).contains("not run");
        var none = json.readTree("{\"regression_tokens_needed\": null, \"attacks\": {\"regression\": {\"tolerance\": 1e-4}}}");
        assertThat(AuditCommand.shown("regression_tokens_needed", none, new int[]{32, 64}))
                .contains("[32, 64]").contains("1.0E-4").doesNotContain("null");
        var found = json.readTree("{\"regression_tokens_needed\": 128}");
        assertThat(AuditCommand.shown("regression_tokens_needed", found, new int[]{32, 128})).isEqualTo("128");
    }
}
