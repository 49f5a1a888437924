package org.taylormlp.taylor;

import org.taylormlp.TestFiles;
import org.taylormlp.app.Engine;
import org.taylormlp.app.TextData;

import java.nio.file.Path;
import java.util.List;

/** Shared set-up for release tests: calibration on the first TinyStories paragraphs, held-out text after them. */
final class ReleaseFixtures {
    private ReleaseFixtures() {}

    static final int CALIBRATION_PARAGRAPHS = 600;

    static Path tinyStories() { return TestFiles.data("tinystories/tinystories_validation_head.txt"); }

    static List<String> calibrationParagraphs() {
        return TextData.paragraphs(tinyStories()).subList(0, CALIBRATION_PARAGRAPHS);
    }

    static List<String> heldOutParagraphs() {
        List<String> all = TextData.paragraphs(tinyStories());
        return all.subList(CALIBRATION_PARAGRAPHS, all.size());
    }

    static CalibrationStats calibrate(Engine e, long tokens) {
        List<int[]> seqs = TextData.encode(e.model().tokenizer(), calibrationParagraphs(), tokens, e.transformer().maxContext());
        return Calibrator.calibrate(e.transformer(), seqs, tokens, e.transformer().maxContext(), null);
    }

    static Selection.Plan plan(Engine e, CalibrationStats s, String rule, int order) {
        return Selection.select(rule, s, e.model().config().activation(), order);
    }
}
