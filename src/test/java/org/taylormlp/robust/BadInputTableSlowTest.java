package org.taylormlp.robust;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

/**
 * {@link BadInputTableTest}'s properties on the table's full size (20 truncation offsets, 16 bit flips, one JVM per
 * row), as {@code scripts/bad-input-table.sh} measures it for docs/SECURITY.md.
 */
@Tag("slow")
class BadInputTableSlowTest {
    @TempDir
    Path work;

    @Test
    void everyDamagedFileGetsAClearErrorWithinBounds() throws Exception {
        List<BadInputTable.Row> rows = BadInputTable.run(work, BadInputTable.Size.TABLE);
        System.out.print(BadInputTable.markdown(rows, "test run"));
        BadInputTableTest.check(rows);
    }
}
