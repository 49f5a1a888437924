package org.taylormlp.server;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import org.taylormlp.fuzz.FuzzHarness;


/**
 * HTTP request bodies of {@code /v1/completions} and {@code /v1/chat/completions}, parsed as the server does:
 * {@link OpenAiServer#parseBody} (not JSON: the server's 400 invalid_json) then {@link ApiRequest#parse}, whose typed error is
 * {@link ApiException}. The first byte's low bit picks chat or completion.
 */
class ApiRequestFuzzTest {
    private static final FuzzHarness.Bound BOUND = new FuzzHarness.Bound(16L << 20, 64);

    @FuzzTest
    void fuzz(byte[] in) {
        boolean chat = in.length > 0 && (in[0] & 1) == 1;
        FuzzHarness.check("api-request", in, BOUND, ApiException.class, dir -> {
            JsonNode body = OpenAiServer.parseBody(in.length == 0 ? in : java.util.Arrays.copyOfRange(in, 1, in.length));
            ApiRequest r = ApiRequest.parse(body, chat, "stories15M", 4096);
            if (chat ? r.messages() == null : r.prompt() == null) throw new AssertionError("parsed request lacks its input");
        });
    }
}
