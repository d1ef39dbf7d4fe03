package dev.cacheinvalidation.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import javax.imageio.ImageIO;

/**
 * The latency distribution as a PNG, drawn with Java2D (headless): a histogram (bars, share of changes per bucket)
 * with the cumulative distribution over it (line, right axis), p50 and p99 marked, the targets dashed.
 */
final class LatencyChart {

    private static final int WIDTH = 1000;
    private static final int HEIGHT = 560;
    private static final int LEFT = 70;
    private static final int RIGHT = 70;
    private static final int TOP = 50;
    private static final int BOTTOM = 60;
    private static final int BUCKETS = 100;

    private LatencyChart() {
    }

    /** @param sortedNanos latencies in nanoseconds, ascending */
    static void write(long[] sortedNanos, Path png, String title) throws IOException {
        System.setProperty("java.awt.headless", "true");
        double[] ms = new double[sortedNanos.length];
        for (int i = 0; i < ms.length; i++) {
            ms[i] = sortedNanos[i] / 1e6;
        }
        double p50 = ms.length == 0 ? 0 : ms[rank(ms.length, 50)];
        double p99 = ms.length == 0 ? 0 : ms[rank(ms.length, 99)];
        double p999 = ms.length == 0 ? 0 : ms[rank(ms.length, 99.9)];
        // x axis up to the 99.9th percentile (at least past the p99 target), longer tail noted in the legend
        double xMax = niceCeiling(Math.max(Math.max(p999, p99 * 1.2), 275));
        double bucket = xMax / BUCKETS;
        int[] counts = new int[BUCKETS];
        int beyond = 0;
        for (double v : ms) {
            int b = (int) (v / bucket);
            if (b >= BUCKETS) {
                beyond++;
            } else {
                counts[b]++;
            }
        }
        int maxCount = 1;
        for (int c : counts) {
            maxCount = Math.max(maxCount, c);
        }
        double yMax = niceCeiling(100.0 * maxCount / Math.max(1, ms.length));

        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, WIDTH, HEIGHT);
        int plotW = WIDTH - LEFT - RIGHT;
        int plotH = HEIGHT - TOP - BOTTOM;
        int x0 = LEFT;
        int y0 = TOP + plotH;

        // grid and axes
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        for (int i = 0; i <= 10; i++) {
            int x = x0 + plotW * i / 10;
            int y = y0 - plotH * i / 10;
            g.setColor(new Color(235, 235, 235));
            g.drawLine(x, TOP, x, y0);
            g.drawLine(x0, y, x0 + plotW, y);
            g.setColor(Color.DARK_GRAY);
            String xLabel = format(xMax * i / 10);
            g.drawString(xLabel, x - g.getFontMetrics().stringWidth(xLabel) / 2, y0 + 18);
            String yLabel = format(yMax * i / 10) + "%";
            g.drawString(yLabel, x0 - 8 - g.getFontMetrics().stringWidth(yLabel), y + 4);
            g.drawString((i * 10) + "%", x0 + plotW + 8, y + 4);
        }
        g.setColor(Color.BLACK);
        g.drawRect(x0, TOP, plotW, plotH);
        g.drawString("latency: deletion of the cache key - commit of the change (ms)", x0 + plotW / 2 - 170, y0 + 40);
        g.rotate(-Math.PI / 2);
        g.drawString("share of changes per " + format(bucket) + " ms bucket", -(TOP + plotH / 2 + 110), 20);
        g.drawString("cumulative share", -(TOP + plotH / 2 + 50), WIDTH - 12);
        g.rotate(Math.PI / 2);

        // histogram
        g.setColor(new Color(120, 160, 220));
        for (int b = 0; b < BUCKETS; b++) {
            int h = (int) Math.round(plotH * (100.0 * counts[b] / Math.max(1, ms.length)) / yMax);
            int x = x0 + plotW * b / BUCKETS;
            int w = Math.max(1, plotW * (b + 1) / BUCKETS - plotW * b / BUCKETS - 1);
            g.fillRect(x, y0 - h, w, h);
        }

        // cumulative distribution
        if (ms.length > 0) {
            Path2D cdf = new Path2D.Double();
            cdf.moveTo(x0, y0);
            int step = Math.max(1, ms.length / 2000);
            for (int i = 0; i < ms.length; i += step) {
                double x = x0 + plotW * Math.min(1, ms[i] / xMax);
                cdf.lineTo(x, y0 - plotH * (i + 1.0) / ms.length);
            }
            cdf.lineTo(x0 + plotW * Math.min(1, ms[ms.length - 1] / xMax), TOP);
            g.setColor(new Color(200, 60, 40));
            g.setStroke(new BasicStroke(2f));
            g.draw(cdf);
        }

        // targets (dashed) and percentiles (solid)
        marker(g, 50, xMax, plotW, plotH, new Color(0, 140, 0), true, "target p50 50 ms", 0);
        marker(g, 250, xMax, plotW, plotH, new Color(0, 140, 0), true, "target p99 250 ms", 0);
        marker(g, p50, xMax, plotW, plotH, Color.BLACK, false, "p50 " + format(p50) + " ms", 16);
        marker(g, p99, xMax, plotW, plotH, Color.BLACK, false, "p99 " + format(p99) + " ms", 32);

        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.setColor(Color.BLACK);
        g.drawString(title, x0, 30);
        if (beyond > 0) {
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            g.drawString(beyond + " changes beyond " + format(xMax) + " ms (max " + format(ms[ms.length - 1]) + " ms)",
                    x0 + plotW - 300, 30);
        }
        g.dispose();
        Files.createDirectories(png.toAbsolutePath().getParent());
        ImageIO.write(image, "png", png.toFile());
    }

    private static void marker(Graphics2D g, double valueMs, double xMax, int plotW, int plotH, Color color, boolean dashed,
            String label, int labelOffset) {
        if (valueMs > xMax) {
            return;
        }
        int x = LEFT + (int) Math.round(plotW * valueMs / xMax);
        g.setColor(color);
        g.setStroke(dashed ? new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] { 6f, 4f }, 0f)
                : new BasicStroke(1.5f));
        g.drawLine(x, TOP, x, TOP + plotH);
        g.setStroke(new BasicStroke(1f));
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.drawString(label, x + 4, TOP + 14 + labelOffset);
    }

    private static int rank(int n, double p) {
        return Math.min(n - 1, Math.max(0, (int) Math.ceil(p / 100 * n) - 1));
    }

    private static double niceCeiling(double v) {
        double magnitude = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] { 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10 }) {
            if (m * magnitude >= v) {
                return m * magnitude;
            }
        }
        return 10 * magnitude;
    }

    private static String format(double v) {
        return v >= 10 || v == Math.rint(v) ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v);
    }
}
