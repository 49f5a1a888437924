/**
 * Text ↔ token ids.
 *
 * <ul>
 *   <li>{@link org.taylormlp.tokenizer.ScoreBpeTokenizer}: SentencePiece-style score BPE (llama2.c
 *       {@code tokenizer.bin}, GGUF "llama" vocabularies).</li>
 *   <li>{@link org.taylormlp.tokenizer.ByteLevelBpeTokenizer}: GPT-2 byte-level BPE with merge ranks (GGUF
 *       "gpt2" vocabularies: GPT-2, Phi-2, Qwen2, Llama 3).</li>
 *   <li>{@link org.taylormlp.tokenizer.HfTokenizer}: a Hugging Face {@code tokenizer.json} through DJL.</li>
 *   <li>{@link org.taylormlp.tokenizer.Tokenizers#fromGgufMetadata}: picks one of the first two from GGUF
 *       metadata.</li>
 *   <li>{@link org.taylormlp.tokenizer.TokenStreamDecoder}: incremental decoding that only ever emits whole
 *       UTF-8 characters.</li>
 * </ul>
 *
 * Control tokens (BOS, EOS, end-of-turn) decode to nothing in every implementation; use
 * {@link org.taylormlp.tokenizer.Tokenizer#isEndOfGeneration} to stop generation.
 */
package org.taylormlp.tokenizer;
