package org.taylormlp.format;

import java.util.List;

/** Something that holds file mappings: one mapped file, or a folder of mapped shards. */
public interface MappedFiles {
    List<FileMapping> fileMappings();
}
