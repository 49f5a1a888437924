package org.taylormlp;

/** The tool version written into releases and printed by {@code --version}. */
public final class Version {
    private Version() {}

    public static final String VERSION = "0.1.0";
}
