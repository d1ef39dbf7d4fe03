package dev.cacheinvalidation.it;

import org.junit.jupiter.api.BeforeEach;

/**
 * What the tests of the seed's scenario through a whole process (the jar, the launcher, a pipeline file, Camel
 * JBang) start from: the tests' servers, and alice's row with the email the seed gives her.
 */
public abstract class SeedScenarioCase {

    protected TestServers servers;

    @BeforeEach
    protected void resetAlice() throws Exception {
        servers = TestServers.local();
        SeedScenario.resetAlice(servers);
    }
}
