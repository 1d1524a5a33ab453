package dev.dualnet.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class Float16Test {
    @Test
    void knownValuesConvertBothWays() {
        assertThat(bits(1f)).isEqualTo(0x3c00);
        assertThat(bits(-2f)).isEqualTo(0xc000);
        assertThat(bits(0.5f)).isEqualTo(0x3800);
        assertThat(bits(Float16.MAX_VALUE)).isEqualTo(0x7bff);
        assertThat(bits(0x1p-14f)).as("smallest normal").isEqualTo(0x0400);
        assertThat(bits(0x1p-24f)).as("smallest subnormal").isEqualTo(0x0001);
        assertThat(bits(0.1f)).isEqualTo(0x2e66);
        assertThat(bits(-0f)).isEqualTo(0x8000);
        assertThat(bits(Float.POSITIVE_INFINITY)).isEqualTo(0x7c00);
        assertThat(bits(Float.NEGATIVE_INFINITY)).isEqualTo(0xfc00);
        assertThat(bits(Float.NaN)).isEqualTo(0x7e00);

        assertThat(Float16.toFloat((short) 0x3c00)).isEqualTo(1f);
        assertThat(Float16.toFloat((short) 0x2e66)).isEqualTo(0.0999755859375f);
        assertThat(Float16.toFloat((short) 0x0001)).isEqualTo(0x1p-24f);
        assertThat(Float16.toFloat((short) 0x03ff)).as("largest subnormal").isEqualTo(1023 * 0x1p-24f);
        assertThat(Float16.toFloat((short) 0x7bff)).isEqualTo(65504f);
        assertThat(Float16.toFloat((short) 0xfc00)).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(Float.floatToRawIntBits(Float16.toFloat((short) 0x8000))).isEqualTo(0x80000000);
        assertThat(Float16.toFloat((short) 0x7e00)).isNaN();
        assertThat(Float16.toFloat((short) 0xfd01)).isNaN();
    }

    @Test
    void everyHalfValueWidensExactlyAndNarrowsBack() {
        for (int h = 0; h < 1 << 16; h++) {
            float f = Float16.toFloat((short) h);
            boolean nan = (h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0;
            assertThat(Float.isNaN(f)).as("0x%04x", h).isEqualTo(nan);
            assertThat(Float16.isFinite((short) h)).as("0x%04x", h).isEqualTo((h & 0x7c00) != 0x7c00);
            if (!nan) {
                assertThat(bits(f)).as("0x%04x", h).isEqualTo(h);
            }
        }
    }

    /**
     * Between two neighbouring halves, the exact midpoint goes to the one with an even significand
     * and anything off it to the nearer one; subnormals, the step into the normals and the
     * overflow into infinity included.
     */
    @Test
    void narrowingRoundsToNearestWithTiesToEven() {
        for (int h = 0; h < 0x7c00; h++) {
            float low = Float16.toFloat((short) h);
            float high = h + 1 == 0x7c00 ? 65536f : Float16.toFloat((short) (h + 1));
            float mid = (low + high) / 2; // exact: a float has 13 more significand bits
            int even = (h & 1) == 0 ? h : h + 1;
            assertThat(bits(mid)).as("midpoint above 0x%04x", h).isEqualTo(even);
            assertThat(bits(-mid)).as("midpoint below -0x%04x", h).isEqualTo(even | 0x8000);
            assertThat(bits(Math.nextDown(mid))).as("just below the midpoint above 0x%04x", h).isEqualTo(h);
            assertThat(bits(Math.nextUp(mid))).as("just above the midpoint above 0x%04x", h).isEqualTo(h + 1);
        }
        assertThat(bits(65519.996f)).isEqualTo(0x7bff);
        assertThat(bits(65520f)).as("the tie above the largest half goes to infinity").isEqualTo(0x7c00);
        assertThat(bits(1e10f)).isEqualTo(0x7c00);
        assertThat(bits(-1e-10f)).isEqualTo(0x8000);
        assertThat(bits(Float.MIN_VALUE)).isEqualTo(0);
    }

    @Test
    void aDoubleRoundsOnceNotThroughAFloat() {
        // 1 + 2^-11 + 2^-40: a float rounds it to the tie 1 + 2^-11, which would then go to 1 (even).
        double value = 1 + 0x1p-11 + 0x1p-40;
        assertThat(Float16.fromFloat((float) value)).isEqualTo((short) 0x3c00);
        assertThat(Float16.fromDouble(value)).isEqualTo((short) 0x3c01);
        assertThat(Float16.fromDouble(1e300)).isEqualTo((short) 0x7c00);
        assertThat(Float16.fromDouble(Double.MIN_VALUE)).isEqualTo((short) 0);
        assertThat(Float16.fromDouble(0x1p-25)).as("half the smallest subnormal ties to zero").isEqualTo((short) 0);
        assertThat(Float16.fromDouble(0x1p-25 + 0x1p-60)).isEqualTo((short) 1);
    }

    @Test
    void aDecimalThatItsDoubleRoundedOntoATieGoesToItsOwnSide() {
        // 1 + 2^-11 = 1.00048828125 is the tie between 0x3c00 and 0x3c01.
        assertThat(fromDecimal("1.00048828125")).isEqualTo(0x3c00);
        assertThat(fromDecimal("1.000488281250000000000000001")).isEqualTo(0x3c01);
        assertThat(fromDecimal("1.000488281249999999999999999")).isEqualTo(0x3c00);
        assertThat(fromDecimal("-1.000488281250000000000000001")).isEqualTo(0xbc01);
        assertThat(fromDecimal("65520.00000000000000000001")).as("past the tie into infinity").isEqualTo(0x7c00);
        assertThat(fromDecimal("65519.99999999999999999999")).isEqualTo(0x7bff);
        assertThat(fromDecimal("0.1")).isEqualTo(0x2e66);
        assertThat(Float16.fromDecimal(-0.0, () -> {
            throw new AssertionError("no tie, no exact value needed");
        })).isEqualTo((short) 0x8000);
    }

    @Test
    void fp16TensorsAreTwoLittleEndianBytesAnElement() {
        short[] values = {Float16.fromFloat(1f), Float16.fromFloat(-2f)};
        byte[] bytes = ElementType.FP16.toLittleEndian(values);
        assertThat(bytes).containsExactly(0x00, 0x3c, 0x00, 0xc0);
        assertThat(ElementType.FP16.byteSize()).isEqualTo(2);
        assertThat((short[]) ElementType.FP16.fromLittleEndian(java.nio.ByteBuffer.wrap(bytes), 2)).containsExactly(values);
        assertThat(ElementType.fromProtocolName("fp16")).isEqualTo(ElementType.FP16);
        assertThat(ElementType.FP16.arrayType()).isEqualTo(short[].class);
    }

    private static int fromDecimal(String literal) {
        return Float16.fromDecimal(Double.parseDouble(literal), () -> new java.math.BigDecimal(literal)) & 0xffff;
    }

    private static int bits(float value) {
        return Float16.fromFloat(value) & 0xffff;
    }
}
