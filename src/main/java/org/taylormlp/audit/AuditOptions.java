package org.taylormlp.audit;

/**
 * Knobs of an audit run.
 *
 * @param regressionTokens T values of the regression sweep (ascending)
 * @param learnBudgets     data budgets of the learning attack, as fractions of its token pool (e.g. 0.01, 0.1, 1)
 * @param learnPoolTokens  size of the learning attack's token pool (100 % budget)
 * @param learnSteps       Adam steps per layer and budget
 * @param learnBatch       samples per step
 * @param evalTokens       held-out tokens for teacher-forced fidelity
 * @param greedyPrompts    prompts for the greedy comparison
 * @param greedyTokens     tokens generated per prompt
 * @param speedTokens      decode steps per timing round
 * @param sampleTokens     tokens the release samples itself when no text is given
 * @param attacks          ids of the attacks to run (zero_query always runs: the others build on it)
 * @param seed             for sampling and initialisation
 */
public record AuditOptions(int[] regressionTokens, double[] learnBudgets, int learnPoolTokens, int learnSteps, int learnBatch,
                           int evalTokens, int greedyPrompts, int greedyTokens, int speedTokens, int sampleTokens,
                           java.util.Set<String> attacks, long seed) {
    public static AuditOptions defaults() {
        return new AuditOptions(new int[]{64, 128, 256, 512, 1024, 2048, 4096}, new double[]{0.01, 0.1, 1.0}, 8192, 300, 32,
                2048, 8, 48, 64, 4096, ALL, 1234);
    }

    public static final java.util.Set<String> ALL = java.util.Set.of("zero_query", "regression", "speedup", "learning");

    public boolean runs(String id) { return id.equals("zero_query") || attacks.contains(id); }

    public int maxRegressionTokens() {
        int t = 0;
        for (int x : regressionTokens) t = Math.max(t, x);
        return t;
    }
}
