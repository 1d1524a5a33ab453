package dev.dualnet.runtime;

import static dev.dualnet.common.DualNetInterface.SIDE;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Turns an ordinary picture of a digit (PNG or JPEG, any size, any colours) into the 784 pixels the
 * network expects, the way MNIST was made:
 * <ol>
 *   <li>grayscale by luminance, scaled to [0, 1]; in a picture with transparency, opacity is the ink;</li>
 *   <li>inverted when the background is light (MNIST is white ink on black), judged by the border;</li>
 *   <li>cropped to the ink's bounding box and scaled, keeping the aspect ratio, so the longer side is
 *       20 pixels;</li>
 *   <li>placed in a 28x28 field with its centre of mass at the centre.</li>
 * </ol>
 * A 28x28 picture on a dark background is taken as already in MNIST form and only converted.
 * Pictures over {@value #MAX_MEGAPIXELS} megapixels are refused; sides over 1,024 pixels are decoded
 * subsampled, so no picture takes more than a few megabytes to decode.
 */
public final class DigitPictures {
    /** Pictures larger than this are refused (a 12-megapixel phone photo is well inside). */
    public static final int MAX_MEGAPIXELS = 50;
    /** Longest side decoded in full; larger pictures are decoded subsampled to about this size. */
    static final int MAX_DECODED_SIDE = 1024;
    private static final int BOX = 20;
    private static final float INK = 0.1f;

    private DigitPictures() {}

    /**
     * Decodes and preprocesses image bytes.
     *
     * @throws InvalidInputException if the bytes are not a PNG or JPEG image, the image is over
     *     {@value #MAX_MEGAPIXELS} megapixels, or it has no ink
     */
    public static float[] fromImageBytes(byte[] bytes) {
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new InvalidInputException("image is not a PNG or JPEG (no decoder recognised the bytes)");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                return fromImage(reader.read(0, boundedRead(reader)));
            } finally {
                reader.dispose();
            }
        } catch (InvalidInputException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new InvalidInputException("image is not a readable PNG or JPEG: " + e.getMessage());
        }
    }

    /**
     * Read settings that keep the decoded picture small whatever its size: a few hundred kilobytes
     * of PNG can declare 20,000 x 20,000 pixels, which decoded whole would exhaust the heap. Pictures
     * beyond {@value #MAX_MEGAPIXELS} megapixels are refused from their header alone; larger sides
     * than {@value #MAX_DECODED_SIDE} are decoded subsampled, which changes next to nothing, since
     * the digit ends up 20 pixels tall.
     */
    private static ImageReadParam boundedRead(ImageReader reader) throws IOException {
        int width = reader.getWidth(0);
        int height = reader.getHeight(0);
        if ((long) width * height > MAX_MEGAPIXELS * 1_000_000L) {
            throw new InvalidInputException("image is " + width + " x " + height + " pixels, expected at most "
                    + MAX_MEGAPIXELS + " megapixels");
        }
        ImageReadParam param = reader.getDefaultReadParam();
        int step = subsampling(width, height);
        if (step > 1) {
            param.setSourceSubsampling(step, step, 0, 0);
        }
        return param;
    }

    /** Every how many pixels a picture is decoded, so that neither side exceeds {@value #MAX_DECODED_SIDE}. */
    static int subsampling(int width, int height) {
        return (Math.max(width, height) + MAX_DECODED_SIDE - 1) / MAX_DECODED_SIDE;
    }

    /**
     * Preprocesses a decoded image.
     *
     * @throws InvalidInputException if the image has no ink
     */
    public static float[] fromImage(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        float[] gray = new float[w * h];
        boolean transparent = false;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int argb = image.getRGB(x, y);
                transparent |= ((argb >>> 24) & 0xFF) < 255;
                gray[y * w + x] = (0.299f * ((argb >> 16) & 0xFF) + 0.587f * ((argb >> 8) & 0xFF)
                        + 0.114f * (argb & 0xFF)) / 255f;
            }
        }
        if (transparent) {
            // Strokes on a transparent background (a canvas export): opacity is the ink.
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    gray[y * w + x] = ((image.getRGB(x, y) >>> 24) & 0xFF) / 255f;
                }
            }
        } else if (borderMean(gray, w, h) > 0.5f) {
            for (int i = 0; i < gray.length; i++) {
                gray[i] = 1 - gray[i];
            }
        }
        if (w == SIDE && h == SIDE) {
            return gray;
        }
        return centre(gray, w, h);
    }

    private static float borderMean(float[] gray, int w, int h) {
        double sum = 0;
        int count = 0;
        for (int x = 0; x < w; x++) {
            sum += gray[x] + gray[(h - 1) * w + x];
            count += 2;
        }
        for (int y = 0; y < h; y++) {
            sum += gray[y * w] + gray[y * w + w - 1];
            count += 2;
        }
        return (float) (sum / count);
    }

    private static float[] centre(float[] gray, int w, int h) {
        int minX = w;
        int minY = h;
        int maxX = -1;
        int maxY = -1;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                if (gray[y * w + x] > INK) {
                    minX = Math.min(minX, x);
                    maxX = Math.max(maxX, x);
                    minY = Math.min(minY, y);
                    maxY = Math.max(maxY, y);
                }
            }
        }
        if (maxX < 0) {
            throw new InvalidInputException("image has no ink: expected a digit darker or lighter than its background");
        }
        int cw = maxX - minX + 1;
        int ch = maxY - minY + 1;
        double scale = (double) BOX / Math.max(cw, ch);
        int sw = Math.max(1, (int) Math.round(cw * scale));
        int sh = Math.max(1, (int) Math.round(ch * scale));
        BufferedImage crop = new BufferedImage(cw, ch, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < ch; y++) {
            for (int x = 0; x < cw; x++) {
                int v = Math.round(255 * gray[(minY + y) * w + minX + x]);
                crop.setRGB(x, y, (v << 16) | (v << 8) | v);
            }
        }
        BufferedImage scaled = new BufferedImage(sw, sh, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = scaled.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
        g.drawImage(crop, 0, 0, sw, sh, null);
        g.dispose();
        float[] small = new float[sw * sh];
        double mass = 0;
        double mx = 0;
        double my = 0;
        for (int y = 0; y < sh; y++) {
            for (int x = 0; x < sw; x++) {
                float v = (scaled.getRGB(x, y) & 0xFF) / 255f;
                small[y * sw + x] = v;
                mass += v;
                mx += v * x;
                my += v * y;
            }
        }
        double cx = mass > 0 ? mx / mass : (sw - 1) / 2.0;
        double cy = mass > 0 ? my / mass : (sh - 1) / 2.0;
        int offsetX = (int) Math.round(SIDE / 2.0 - 0.5 - cx);
        int offsetY = (int) Math.round(SIDE / 2.0 - 0.5 - cy);
        float[] out = new float[SIDE * SIDE];
        for (int y = 0; y < sh; y++) {
            for (int x = 0; x < sw; x++) {
                int tx = x + offsetX;
                int ty = y + offsetY;
                if (tx >= 0 && tx < SIDE && ty >= 0 && ty < SIDE) {
                    out[ty * SIDE + tx] = Math.min(1f, Math.max(0f, small[y * sw + x]));
                }
            }
        }
        return out;
    }
}
