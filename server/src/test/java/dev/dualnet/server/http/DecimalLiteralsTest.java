package dev.dualnet.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DecimalLiteralsTest {
    private static double parse(String literal) {
        return DecimalLiterals.parse(literal.toCharArray(), 0, literal.length());
    }

    @Test
    void agreesBitForBitWithTheJdkOnShortLiterals() {
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < 200_000; i++) {
            String literal = switch (i % 4) {
                case 0 -> Float.toString(random.nextInt(256) / 255f);
                case 1 -> String.format(Locale.ROOT, "%." + random.nextInt(1, 16) + "f", random.nextDouble());
                case 2 -> Long.toString(random.nextLong(-1_000_000_000_000L, 1_000_000_000_000L));
                default -> String.format(Locale.ROOT, "%.7f", random.nextDouble(-1e6, 1e6));
            };
            assertThat(Double.doubleToRawLongBits(parse(literal)))
                    .as(literal)
                    .isEqualTo(Double.doubleToRawLongBits(Double.parseDouble(literal)));
        }
    }

    @Test
    void handlesSignedZeroesAndPlainIntegers() {
        assertThat(Double.doubleToRawLongBits(parse("-0.0"))).isEqualTo(Double.doubleToRawLongBits(-0.0));
        assertThat(parse("0")).isZero();
        assertThat(parse("1")).isEqualTo(1.0);
        assertThat(parse("0.3294118")).isEqualTo(0.3294118);
    }

    @Test
    void leavesExponentsAndLongLiteralsToTheGeneralParser() {
        assertThat(parse("1e-3")).isNaN();
        assertThat(parse("2.5E2")).isNaN();
        assertThat(parse("0.12345678901234567")).isNaN(); // 17 significant digits
        assertThat(parse("1234567890123456")).isNaN(); // 16 digits may exceed 2^53 exactness
        assertThat(parse("0.00000000000000000000001")).isNaN(); // 23 fraction digits
    }
}
