package org.taylormlp;

/** Base of every error taylormlp reports to a user: a readable message, never a bare NPE. */
public class TaylorMlpException extends RuntimeException {
    public TaylorMlpException(String message) { super(message); }
    public TaylorMlpException(String message, Throwable cause) { super(message, cause); }
}
