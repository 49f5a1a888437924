package org.taylormlp.audit;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.taylormlp.model.ModelConfig;
import org.taylormlp.taylor.ReleaseReader;

import java.util.Arrays;
import java.util.Locale;

/**
 * Attack 1: zero-query algebraic recovery. From the release file alone, every protected neuron's coefficient block is
 * factored ({@link NeuronSolver}) into its W_down column, its scale r and its expansion point z0; the original gate
 * (or fc1) row is {@code taylor_in · r} and, for plain MLPs, the original bias {@code taylor_in.bias · r + z0}.
 * Together with the clear neurons this rebuilds every layer's MLP ({@link RecoveredWeights}).
 */
final class ZeroQueryAttack implements Attack {
    @Override
    public String id() { return "zero_query"; }

    @Override
    public String title() { return "Attack 1: zero-query algebraic recovery"; }

    @Override
    public String run(AuditContext ctx, ObjectNode json) {
        long t0 = System.nanoTime();
        ModelConfig c = ctx.config();
        ReleaseReader.Info info = ctx.info();
        NeuronSolver solver = new NeuronSolver(c.activation(), info.order());
        NeuronSolver.Mode mode = ReleaseRecovery.mode(info, c);
        double tol = ctx.neuronTolerance();
        RecoveredWeights rec = new RecoveredWeights();
        int dim = c.dim();
        long totalProt = 0, solved = 0, selfChecked = 0, ambiguous = 0;
        double maxRank1 = 0, maxFit = 0, maxBiasConsistency = 0;
        ArrayNode layersJson = json.putArray("layers");
        // scoring accumulators (with an original)
        boolean scored = ctx.original() != null;
        if (scored) Scoring.checkCompatible(c, ctx.original().model().config());
        double errDown = 0, normDown = 0, errIn = 0, normIn = 0, dotDown = 0, recDown = 0;
        long recoveredNeurons = 0, signErrors = 0, duplicateMatches = 0;
        ctx.matching = new int[c.nLayers()][];
        StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "Mode: **%s**; order N = %d; activation %s; %s MLP.%n%n", mode == NeuronSolver.Mode.PUBLISHED
                ? "z0 published (closed form)" : mode == NeuronSolver.Mode.HIDDEN_GATED ? "z0 hidden, 1-D solve for r with z0 = -bias*r"
                : "z0 hidden, 1-D solve for z0 on r-free coefficient ratios", info.order(), c.activation(), c.gatedMlp() ? "gated" : "plain"));
        md.append("| layer | protected | solved | max rank-1 residual | max fit residual |")
                .append(scored ? " W_down rel. err | gate/fc1 rel. err | cosine | recovered ≤ tol |" : "").append('\n');
        md.append("|---|---|---|---|---|").append(scored ? "---|---|---|---|" : "").append('\n');
        for (int l = 0; l < c.nLayers(); l++) {
            ReleaseLayer rl = ReleaseLayer.read(ctx.releaseModel(), l);
            RecoveredWeights.Layer layer = ReleaseRecovery.solveLayer(c, rl, solver, mode);
            int m = rl.m();
            rec.layers.add(layer);
            int layerSolved = 0, layerSelf = 0;
            double lRank1 = 0, lFit = 0, lBias = 0;
            for (NeuronSolver.Fit f : layer.fits) {
                if (f.ok()) {
                    layerSolved++;
                    lRank1 = Math.max(lRank1, f.rank1());
                    lFit = Math.max(lFit, f.rmsFit());
                    if (f.rank1() <= tol && f.rmsFit() <= tol) layerSelf++;
                    if (f.ambiguous()) ambiguous++;
                }
            }
            if (c.gatedMlp()) {
                for (int j = 0; j < m; j++) {
                    NeuronSolver.Fit f = layer.fits[j];
                    if (f.ok()) lBias = Math.max(lBias, Math.abs(rl.inBias()[j] * f.r() + f.z0()) / Math.max(1, Math.abs(f.z0())));
                }
            }
            totalProt += m;
            solved += layerSolved;
            selfChecked += layerSelf;
            maxRank1 = Math.max(maxRank1, lRank1);
            maxFit = Math.max(maxFit, lFit);
            maxBiasConsistency = Math.max(maxBiasConsistency, lBias);
            ObjectNode lj = layersJson.addObject();
            ArrayNode unsure = lj.putArray("neurons_failing_self_check");
            for (int j = 0; j < m && unsure.size() < 20; j++) {
                NeuronSolver.Fit f = layer.fits[j];
                if (f.ok() && f.rank1() <= tol && f.rmsFit() <= tol) continue;
                ObjectNode bj = unsure.addObject();
                bj.put("protected_index", j);
                bj.put("ok", f.ok());
                bj.put("z0", f.z0());
                bj.put("r", f.r());
                bj.put("stored_bias", rl.inBias()[j]);
                bj.put("fit_residual", f.rmsFit());
                bj.put("rank1_residual", f.rank1());
                bj.put("method", f.method());
            }
            lj.put("layer", l);
            lj.put("protected", m);
            lj.put("solved", layerSolved);
            lj.put("self_checked", layerSelf);
            lj.put("max_rank1_residual", lRank1);
            lj.put("max_fit_residual", lFit);
            if (c.gatedMlp()) lj.put("max_gated_bias_inconsistency", lBias);
            md.append(String.format(Locale.ROOT, "| %d | %d | %d | %.2e | %.2e |", l, m, layerSolved, lRank1, lFit));
            if (scored && m > 0) {
                Scoring.OriginalLayer o = Scoring.OriginalLayer.read(ctx.original().model(), l);
                float[] rows = new float[m * dim];
                float[] inRows = c.gatedMlp() ? layer.gate : layer.up;
                System.arraycopy(inRows, layer.clear * dim, rows, 0, m * dim);
                double[] cos = new double[m];
                int[] idx = Scoring.match(o, rows, m, cos);
                ctx.matching[l] = idx;
                boolean[] seen = new boolean[o.hidden()];
                double lErrD = 0, lNormD = 0, lErrI = 0, lNormI = 0, lDot = 0, lRec = 0;
                int lRecovered = 0;
                double worst = 0;
                double[] perNeuron = new double[m];
                for (int j = 0; j < m; j++) {
                    if (seen[idx[j]]) duplicateMatches++;
                    seen[idx[j]] = true;
                    if (cos[j] < 0) signErrors++;
                    double[] wo = o.downColumn(idx[j]);
                    double[] wr = new double[dim];
                    for (int i = 0; i < dim; i++) wr[i] = layer.down[i * layer.hidden + layer.index(j)];
                    double[] go = new double[dim], gr = new double[dim];
                    for (int k = 0; k < dim; k++) {
                        go[k] = o.inRows()[idx[j] * dim + k];
                        gr[k] = rows[j * dim + k];
                    }
                    double ed = Scoring.diff2(wr, wo), nd = Scoring.norm2(wo), eg = Scoring.diff2(gr, go), ng = Scoring.norm2(go);
                    if (o.inBias() != null) {
                        double db = layer.upBias[layer.index(j)] - o.inBias()[idx[j]];
                        eg += db * db;
                        ng += (double) o.inBias()[idx[j]] * o.inBias()[idx[j]];
                    }
                    lErrD += ed;
                    lNormD += nd;
                    lErrI += eg;
                    lNormI += ng;
                    for (int i = 0; i < dim; i++) lDot += wr[i] * wo[i];
                    lRec += Scoring.norm2(wr);
                    double e = Math.max(Math.sqrt(ed / nd), Math.sqrt(eg / ng));
                    perNeuron[j] = e;
                    worst = Math.max(worst, e);
                    if (layer.fits[j].ok() && e <= tol) lRecovered++;
                }
                errDown += lErrD;
                normDown += lNormD;
                errIn += lErrI;
                normIn += lNormI;
                dotDown += lDot;
                recDown += lRec;
                recoveredNeurons += lRecovered;
                double[] sorted = perNeuron.clone();
                Arrays.sort(sorted);
                lj.put("down_relative_error", Math.sqrt(lErrD / lNormD));
                lj.put("in_relative_error", Math.sqrt(lErrI / lNormI));
                lj.put("relative_error", Math.sqrt((lErrD + lErrI) / (lNormD + lNormI)));
                lj.put("cosine_down", lDot / Math.sqrt(lRec * lNormD));
                lj.put("neurons_recovered", lRecovered);
                lj.put("median_neuron_error", sorted[m / 2]);
                lj.put("max_neuron_error", worst);
                ArrayNode bad = lj.putArray("neurons_not_recovered");
                for (int j = 0; j < m && bad.size() < 20; j++) {
                    if (layer.fits[j].ok() && perNeuron[j] <= tol) continue;
                    NeuronSolver.Fit f = layer.fits[j];
                    ObjectNode bj = bad.addObject();
                    bj.put("protected_index", j);
                    bj.put("original_index", idx[j]);
                    bj.put("error", perNeuron[j]);
                    bj.put("z0", f.z0());
                    bj.put("r", f.r());
                    bj.put("fit_residual", f.rmsFit());
                    bj.put("rank1_residual", f.rank1());
                    bj.put("method", f.method());
                }
                md.append(String.format(Locale.ROOT, " %.2e | %.2e | %.9f | %d/%d |", Math.sqrt(lErrD / lNormD), Math.sqrt(lErrI / lNormI),
                        lDot / Math.sqrt(lRec * lNormD), lRecovered, m));
            } else if (scored) {
                md.append(" – | – | – | 0/0 |");
            }
            md.append('\n');
        }
        ctx.recovered = rec;
        double seconds = (System.nanoTime() - t0) / 1e9;
        json.put("seconds", seconds);
        json.put("mode", mode.name().toLowerCase(Locale.ROOT));
        json.put("tolerance", tol);
        json.put("neurons_protected", totalProt);
        json.put("neurons_solved", solved);
        json.put("neurons_self_checked", selfChecked);
        json.put("sign_ambiguous", ambiguous);
        json.put("max_rank1_residual", maxRank1);
        json.put("max_fit_residual", maxFit);
        if (c.gatedMlp()) json.put("max_gated_bias_inconsistency", maxBiasConsistency);
        double fraction;
        if (scored) {
            double rel = totalProt == 0 ? 0 : Math.sqrt((errDown + errIn) / (normDown + normIn));
            json.put("relative_error", rel);
            json.put("down_relative_error", totalProt == 0 ? 0 : Math.sqrt(errDown / normDown));
            json.put("in_relative_error", totalProt == 0 ? 0 : Math.sqrt(errIn / normIn));
            json.put("cosine_down", totalProt == 0 ? 1 : dotDown / Math.sqrt(recDown * normDown));
            json.put("neurons_recovered", recoveredNeurons);
            json.put("sign_errors", signErrors);
            json.put("duplicate_matches", duplicateMatches);
            fraction = totalProt == 0 ? 1 : (double) recoveredNeurons / totalProt;
            ctx.summary.put("recovered_relative_error", rel);
        } else {
            fraction = totalProt == 0 ? 1 : (double) selfChecked / totalProt;
        }
        json.put("fraction_neurons_recovered", fraction);
        json.put("fraction_basis", scored ? "measured against the original" : "self-check: rank-1 and fit residuals <= tolerance (no original given)");
        ctx.summary.put("fraction_neurons_recovered", fraction);
        StringBuilder head = new StringBuilder();
        head.append(String.format(Locale.ROOT, "Solved %d of %d protected neurons in %.2f s with no query to the model. ", solved, totalProt, seconds));
        if (scored) {
            head.append(String.format(Locale.ROOT, "Against the original: relative Frobenius error **%.3g** over all protected weights "
                            + "(W_down columns %.3g, gate/fc1 rows %.3g), cosine %.12f; **%d of %d** neurons (%.2f %%) within %.1e; "
                            + "%d sign errors, %d duplicate matches.%n%n",
                    json.get("relative_error").asDouble(), json.get("down_relative_error").asDouble(), json.get("in_relative_error").asDouble(),
                    json.get("cosine_down").asDouble(), recoveredNeurons, totalProt, 100 * fraction, tol, signErrors, duplicateMatches));
        } else {
            head.append(String.format(Locale.ROOT, "No original given: %d of %d neurons pass the self-check (residuals <= %.1e).%n%n",
                    selfChecked, totalProt, tol));
        }
        return head + md.toString();
    }
}
