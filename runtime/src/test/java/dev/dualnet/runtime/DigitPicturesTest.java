package dev.dualnet.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dualnet.runtime.testing.Fixtures;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class DigitPicturesTest {
    @Test
    void anMnistSizedDarkPictureIsOnlyConverted() throws Exception {
        float[] digit = bundleImage(0);
        float[] back = DigitPictures.fromImageBytes(png(render(digit, 28, false, false)));
        for (int i = 0; i < 784; i++) {
            assertThat(back[i]).isCloseTo(digit[i], org.assertj.core.data.Offset.offset(1f / 255));
        }
    }

    @Test
    void largeInkOnPaperPicturesAreInvertedCroppedScaledAndCentred() throws Exception {
        try (DualNetPredictor predictor = DualNetPredictor.load(Fixtures.seedEntry(), Fixtures.options())) {
            int agree = 0;
            for (int i = 0; i < 20; i++) {
                float[] digit = bundleImage(i);
                // Black ink on white paper, 5x larger, shifted off-centre: what a phone photo or scan gives.
                float[] prepared = DigitPictures.fromImageBytes(png(render(digit, 140, true, true)));
                assertThat(prepared).hasSize(784);
                double[] centre = centreOfMass(prepared);
                assertThat(centre[0]).isBetween(12.0, 15.5);
                assertThat(centre[1]).isBetween(12.0, 15.5);
                if (predictor.predict(prepared, 0).digit() == predictor.predict(digit, 0).digit()) {
                    agree++;
                }
            }
            assertThat(agree).isGreaterThanOrEqualTo(18);
        }
    }

    @Test
    void blankOrUndecodablePicturesAreRejected() throws Exception {
        assertThatThrownBy(() -> DigitPictures.fromImageBytes(png(render(new float[784], 56, true, false))))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("no ink");
        assertThatThrownBy(() -> DigitPictures.fromImageBytes("plain text, no picture".getBytes()))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("not a PNG or JPEG");
    }

    @Test
    void aPictureDeclaringTooManyPixelsIsRefusedFromItsHeader() throws Exception {
        // A real decompression bomb compresses 20,000 x 20,000 grey pixels into ~400 KB; its header
        // alone must be enough to refuse it, so the image data here is not even valid.
        byte[] bomb = pngHeaderOnly(20_000, 20_000);
        assertThatThrownBy(() -> DigitPictures.fromImageBytes(bomb))
                .isInstanceOf(InvalidInputException.class)
                .hasMessage("image is 20000 x 20000 pixels, expected at most 50 megapixels");
    }

    @Test
    void aLargePictureIsDecodedSubsampledToTheSameDigit() throws Exception {
        try (DualNetPredictor predictor = DualNetPredictor.load(Fixtures.seedEntry(), Fixtures.options())) {
            for (int i = 0; i < 3; i++) {
                float[] digit = bundleImage(i);
                float[] small = DigitPictures.fromImageBytes(png(render(digit, 140, true, false)));
                // 2,240 px: decoded at every third pixel, 747 px.
                float[] large = DigitPictures.fromImageBytes(png(render(digit, 2240, true, false)));
                double diff = 0;
                for (int p = 0; p < 784; p++) {
                    diff += Math.abs(large[p] - small[p]);
                }
                assertThat(diff / 784).as("mean pixel difference, image %d", i).isLessThan(0.02);
                assertThat(predictor.predict(large, 0).digit()).isEqualTo(predictor.predict(small, 0).digit());
            }
        }
    }

    @Test
    void noDecodedSideExceeds1024Pixels() {
        assertThat(DigitPictures.subsampling(28, 28)).isEqualTo(1);
        assertThat(DigitPictures.subsampling(1024, 300)).isEqualTo(1);
        assertThat(DigitPictures.subsampling(300, 1025)).isEqualTo(2);
        assertThat(DigitPictures.subsampling(2240, 2240)).isEqualTo(3);
        assertThat(DigitPictures.subsampling(4000, 3000)).isEqualTo(4);
    }

    /** A PNG signature and header chunk for a grey picture of the given size, then junk instead of pixels. */
    private static byte[] pngHeaderOnly(int width, int height) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        java.io.DataOutputStream data = new java.io.DataOutputStream(out);
        data.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        byte[] header = java.nio.ByteBuffer.allocate(17).put("IHDR".getBytes(java.nio.charset.StandardCharsets.US_ASCII))
                .putInt(width).putInt(height).put((byte) 8).put((byte) 0).put((byte) 0).put((byte) 0).put((byte) 0)
                .array();
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(header);
        data.writeInt(13);
        data.write(header);
        data.writeInt((int) crc.getValue());
        data.write(new byte[64]);
        return out.toByteArray();
    }

    private static float[] bundleImage(int i) throws Exception {
        return Arrays.copyOfRange(Fixtures.bundleImages(), i * 784, (i + 1) * 784);
    }

    private static BufferedImage render(float[] digit, int size, boolean inkOnPaper, boolean offCentre) {
        BufferedImage image = new BufferedImage(size + (offCentre ? size / 2 : 0), size, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setColor(inkOnPaper ? Color.WHITE : Color.BLACK);
        g.fillRect(0, 0, image.getWidth(), image.getHeight());
        int scale = size / 28;
        for (int p = 0; p < 784; p++) {
            int v = Math.round(255 * digit[p]);
            int shade = inkOnPaper ? 255 - v : v;
            g.setColor(new Color(shade, shade, shade));
            g.fillRect((p % 28) * scale + (offCentre ? size / 3 : 0), (p / 28) * scale, scale, scale);
        }
        g.dispose();
        return image;
    }

    private static byte[] png(BufferedImage image) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }

    private static double[] centreOfMass(float[] pixels) {
        double mass = 0;
        double x = 0;
        double y = 0;
        for (int p = 0; p < 784; p++) {
            mass += pixels[p];
            x += pixels[p] * (p % 28);
            y += pixels[p] * (p / 28);
        }
        return new double[] {x / mass, y / mass};
    }
}
