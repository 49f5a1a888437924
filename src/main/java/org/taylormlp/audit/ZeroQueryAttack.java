package org.taylormlp.audit;

import org.taylormlp.model.ModelConfig;
import org.taylormlp.taylor.ReleaseReader;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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
    public AuditReport.ZeroQuery run(AuditContext ctx) {
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
        List<AuditReport.ZeroQueryLayer> layers = new ArrayList<>();
        // scoring accumulators (with an original)
        boolean scored = ctx.original() != null;
        if (scored) Scoring.checkCompatible(c, ctx.original().model().config());
        double errDown = 0, normDown = 0, errIn = 0, normIn = 0, dotDown = 0, recDown = 0;
        long recoveredNeurons = 0, signErrors = 0, duplicateMatches = 0;
        ctx.matching = new int[c.nLayers()][];
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
            List<AuditReport.UnsureNeuron> unsure = new ArrayList<>();
            for (int j = 0; j < m && unsure.size() < 20; j++) {
                NeuronSolver.Fit f = layer.fits[j];
                if (f.ok() && f.rank1() <= tol && f.rmsFit() <= tol) continue;
                unsure.add(new AuditReport.UnsureNeuron(j, f.ok(), f.z0(), f.r(), rl.inBias()[j], f.rmsFit(), f.rank1(), f.method()));
            }
            AuditReport.LayerScore score = null;
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
                List<AuditReport.BadNeuron> bad = new ArrayList<>();
                for (int j = 0; j < m && bad.size() < 20; j++) {
                    if (layer.fits[j].ok() && perNeuron[j] <= tol) continue;
                    NeuronSolver.Fit f = layer.fits[j];
                    bad.add(new AuditReport.BadNeuron(j, idx[j], perNeuron[j], f.z0(), f.r(), f.rmsFit(), f.rank1(), f.method()));
                }
                score = new AuditReport.LayerScore(Math.sqrt(lErrD / lNormD), Math.sqrt(lErrI / lNormI),
                        Math.sqrt((lErrD + lErrI) / (lNormD + lNormI)), lDot / Math.sqrt(lRec * lNormD), lRecovered,
                        sorted[m / 2], worst, List.copyOf(bad));
            }
            layers.add(new AuditReport.ZeroQueryLayer(l, m, layerSolved, layerSelf, lRank1, lFit, lBias, List.copyOf(unsure), score));
        }
        ctx.recovered = rec;
        double seconds = (System.nanoTime() - t0) / 1e9;
        double rel = Double.NaN, downRel = Double.NaN, inRel = Double.NaN, cosine = Double.NaN;
        double fraction;
        if (scored) {
            rel = totalProt == 0 ? 0 : Math.sqrt((errDown + errIn) / (normDown + normIn));
            downRel = totalProt == 0 ? 0 : Math.sqrt(errDown / normDown);
            inRel = totalProt == 0 ? 0 : Math.sqrt(errIn / normIn);
            cosine = totalProt == 0 ? 1 : dotDown / Math.sqrt(recDown * normDown);
            fraction = totalProt == 0 ? 1 : (double) recoveredNeurons / totalProt;
        } else {
            fraction = totalProt == 0 ? 1 : (double) selfChecked / totalProt;
        }
        String modeName = switch (mode) {
            case PUBLISHED -> "z0 published (closed form)";
            case HIDDEN_GATED -> "z0 hidden, 1-D solve for r with z0 = -bias*r";
            default -> "z0 hidden, 1-D solve for z0 on r-free coefficient ratios";
        };
        return new AuditReport.ZeroQuery(mode.name().toLowerCase(Locale.ROOT), modeName, info.order(), c.activation(),
                c.gatedMlp(), scored, seconds, tol, totalProt, solved, selfChecked, ambiguous, maxRank1, maxFit,
                maxBiasConsistency, rel, downRel, inRel, cosine, recoveredNeurons, signErrors, duplicateMatches, fraction,
                scored ? "measured against the original" : "self-check: rank-1 and fit residuals <= tolerance (no original given)",
                List.copyOf(layers));
    }
}
