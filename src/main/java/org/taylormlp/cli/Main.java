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

    /** Exit status of a run that failed (a file that cannot be read or is not what it should be, I/O, memory). */
    public static final int EXIT_ERROR = 1;
    /** Exit status of an invalid argument: an unknown option, a missing or malformed value, a value out of range. */
    public static final int EXIT_INVALID_ARGUMENT = 2;

    /**
     * Runs the CLI and returns the exit code: 0 ok, {@value #EXIT_ERROR} runtime error, {@value #EXIT_INVALID_ARGUMENT}
     * invalid argument (picocli's rule: parse errors and values that a command rejects alike; an
     * {@link IllegalArgumentException} thrown while a command runs is an invalid argument, a {@link TaylorMlpException}
     * a runtime error).
     */
    public static int execute(String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.addSubcommand("help", new CommandLine.HelpCommand());
        configure(cl);
        cl.setExecutionExceptionHandler((ex, cmd, parseResult) -> {
            if (ex instanceof TaylorMlpException || ex instanceof java.io.UncheckedIOException) {
                cmd.getErr().println("error: " + ex.getMessage());
                return EXIT_ERROR;
            }
            if (ex instanceof IllegalArgumentException) {
                cmd.getErr().println("error: " + ex.getMessage() + " (see `" + cmd.getCommandSpec().qualifiedName() + " --help`)");
                return EXIT_INVALID_ARGUMENT;
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

    /** Every command prints the version with -V and lists the exit codes in its --help. */
    private static void configure(CommandLine cl) {
        CommandLine.Model.CommandSpec spec = cl.getCommandSpec();
        if (spec.versionProvider() == null && spec.mixinStandardHelpOptions()) spec.versionProvider(new Version());
        java.util.Map<String, String> codes = new java.util.LinkedHashMap<>();
        codes.put("0", "success");
        codes.put(Integer.toString(EXIT_ERROR), "error: a file that cannot be read or is not what it should be, I/O, memory");
        codes.put(Integer.toString(EXIT_INVALID_ARGUMENT), "invalid argument: unknown option, missing or malformed value, value out of range");
        spec.usageMessage().exitCodeListHeading("%nExit codes:%n").exitCodeList(codes);
        for (CommandLine sub : cl.getSubcommands().values()) configure(sub);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[]{"taylormlp " + VERSION + " (Java " + System.getProperty("java.version") + ")"};
        }
    }
}
