package org.taylormlp.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.taylormlp.taylor.CalibrationFile;
import org.taylormlp.taylor.CalibrationStats;

import java.nio.file.Files;
import java.nio.file.Path;

/** Calibration files (calibrate's output, protect's input). */
class CalibrationFuzzTest {
    @FuzzTest
    void fuzz(byte[] in) {
        FuzzHarness.check("calibration", in, FuzzHarness.READER, null, dir -> {
            Path p = dir.resolve("calib.safetensors");
            Files.write(p, in);
            CalibrationStats s = CalibrationFile.load(p);
            for (int l = 0; l < s.layers(); l++) {
                for (int j = 0; j < s.neurons(); j++) s.quantile(l, j, CalibrationStats.LEVELS.length - 1);
            }
        });
    }
}
