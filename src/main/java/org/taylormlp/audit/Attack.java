package org.taylormlp.audit;

/**
 * One attack on a release. Attacks run in order on a shared {@link AuditContext}: each may read what earlier ones
 * left there (the zero-query recovery's weights, the recovered checkpoint) and adds its own section of the report.
 * An attack never reads the original model except through {@link AuditContext#original()}, which is used only to
 * score what the attack recovered.
 */
public interface Attack {
    /** Short stable identifier, the key of this attack's section in report.json. */
    String id();

    /** Human title for report.md. */
    String title();

    /** Runs the attack and returns its figures ({@link AuditJson} and {@link AuditMarkdown} format them). */
    AuditReport.AttackResult run(AuditContext ctx);
}
