package org.taylormlp.cli;

import org.taylormlp.TaylorMlpException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** The {@code taylormlp} command. Each subcommand parses options and calls library code. */
@Command(name = "taylormlp", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Release LLMs as Taylor-series parameters (TaylorMLP) and run them on the CPU.",
        subcommands = {GenerateCommand.class, ChatCommand.class, ServeCommand.class, InspectCommand.class,
                ConvertCommand.class, SynthCommand.class, CalibrateCommand.class, ProtectCommand.class, EvalCommand.class,
                DemoCommand.class, AuditCommand.class, BenchCommand.class, KeygenCommand.class, VerifyCommand.class,
                TraceCommand.class})
public final class Main implements Runnable {
    public static final String VERSION = org.taylormlp.Version.VERSION;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.setOut(new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8));
        System.exit(execute(args));
    }

    /** Runs the CLI and returns the exit code: 0 ok, 1 runtime error, 2 usage error. */
    public static int execute(String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, cmd, parseResult) -> {
            if (ex instanceof TaylorMlpException || ex instanceof IllegalArgumentException || ex instanceof java.io.UncheckedIOException) {
                cmd.getErr().println("error: " + ex.getMessage());
                return 1;
            }
            throw ex;
        });
        try {
            return cl.execute(args);
        } catch (InternalError e) {
            if (!org.taylormlp.format.MappedFault.is(e)) throw e;
            System.err.println("error: " + org.taylormlp.format.MappedFault.message(e));
            return 1;
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[]{"taylormlp " + VERSION + " (Java " + System.getProperty("java.version") + ")"};
        }
    }
}
