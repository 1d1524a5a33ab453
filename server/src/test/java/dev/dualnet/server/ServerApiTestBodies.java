package dev.dualnet.server;

import dev.dualnet.server.testing.Digits;
import dev.dualnet.server.testing.TestServer;

/** Valid request bodies for tests that start from one and break it. */
final class ServerApiTestBodies {
    private ServerApiTestBodies() {}

    static String infer(Digits digits, int i) throws Exception {
        return "{\"inputs\":[{\"name\":\"image\",\"shape\":[1,1,28,28],\"datatype\":\"FP32\",\"data\":"
                + TestServer.mapper().writeValueAsString(digits.image(i)) + "},{\"name\":\"number\",\"shape\":[1],"
                + "\"datatype\":\"INT64\",\"data\":[" + digits.number(i) + "]}]}";
    }
}
