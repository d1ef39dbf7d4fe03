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
 * The latency distribution as a PNG, drawn with Java2D (headless): a histogram (bars, share of changes per bucket,
 * logarithmic latency axis) with the cumulative distribution over it (line, right axis), p50 and p99 marked, the
 * targets dashed.
 */
final class LatencyChart {

    private static final int WIDTH = 1000;
    private static final int HEIGHT = 560;
    private static final int LEFT = 70;
    private static final int RIGHT = 70;
    private static final int TOP = 50;
    private static final int BOTTOM = 60;
    private static final int BUCKETS_PER_DECADE = 20;
    private static final double MIN_MS = 1;

    private LatencyChart() {
    }

    /** @param sortedNanos latencies in nanoseconds, ascending */
    static void write(long[] sortedNanos, Path png, String title) throws IOException {
        System.setProperty("java.awt.headless", "true");
        double[] ms = new double[sortedNanos.length];
        for (int i = 0; i < ms.length; i++) {
            ms[i] = Math.max(MIN_MS, sortedNanos[i] / 1e6);
        }
        double p50 = ms.length == 0 ? 0 : ms[rank(ms.length, 50)];
        double p99 = ms.length == 0 ? 0 : ms[rank(ms.length, 99)];
        double max = ms.length == 0 ? 1000 : ms[ms.length - 1];
        // logarithmic x axis, whole decades from 1 ms to past the maximum (at least 1 s)
        int decades = (int) Math.ceil(Math.log10(Math.max(max, 1000) / MIN_MS));
        double logMax = Math.log10(MIN_MS) + decades;
        int buckets = decades * BUCKETS_PER_DECADE;
        int[] counts = new int[buckets];
        for (double v : ms) {
            int b = (int) ((Math.log10(v) - Math.log10(MIN_MS)) * BUCKETS_PER_DECADE);
            counts[Math.min(buckets - 1, Math.max(0, b))]++;
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
        Axis x = value -> x0 + (int) Math.round(plotW * (Math.log10(Math.max(MIN_MS, value)) - Math.log10(MIN_MS)) / decades);

        // grid and axes: decades (1, 2, 5 within each), shares on the left, cumulative on the right
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        for (int d = 0; d <= decades; d++) {
            for (int m : new int[] { 1, 2, 5 }) {
                double value = MIN_MS * Math.pow(10, d) * m;
                if (Math.log10(value) > logMax + 1e-9) {
                    continue;
                }
                int px = x.at(value);
                g.setColor(m == 1 ? new Color(220, 220, 220) : new Color(242, 242, 242));
                g.drawLine(px, TOP, px, y0);
                g.setColor(Color.DARK_GRAY);
                String label = value >= 1000 ? format(value / 1000) + " s" : format(value) + " ms";
                g.drawString(label, px - g.getFontMetrics().stringWidth(label) / 2, y0 + 18);
            }
        }
        for (int i = 0; i <= 10; i++) {
            int y = y0 - plotH * i / 10;
            g.setColor(new Color(235, 235, 235));
            g.drawLine(x0, y, x0 + plotW, y);
            g.setColor(Color.DARK_GRAY);
            String yLabel = format(yMax * i / 10) + "%";
            g.drawString(yLabel, x0 - 8 - g.getFontMetrics().stringWidth(yLabel), y + 4);
            g.drawString((i * 10) + "%", x0 + plotW + 8, y + 4);
        }
        g.setColor(Color.BLACK);
        g.drawRect(x0, TOP, plotW, plotH);
        g.drawString("latency: deletion of the cache key - commit of the change (log scale)", x0 + plotW / 2 - 190, y0 + 40);
        g.rotate(-Math.PI / 2);
        g.drawString("share of changes per bucket (" + BUCKETS_PER_DECADE + " per decade)", -(TOP + plotH / 2 + 120), 20);
        g.drawString("cumulative share", -(TOP + plotH / 2 + 50), WIDTH - 12);
        g.rotate(Math.PI / 2);

        // histogram
        g.setColor(new Color(120, 160, 220));
        for (int b = 0; b < buckets; b++) {
            int h = (int) Math.round(plotH * (100.0 * counts[b] / Math.max(1, ms.length)) / yMax);
            int left = x0 + plotW * b / buckets;
            int w = Math.max(1, plotW * (b + 1) / buckets - plotW * b / buckets - 1);
            g.fillRect(left, y0 - h, w, h);
        }

        // cumulative distribution
        if (ms.length > 0) {
            Path2D cdf = new Path2D.Double();
            cdf.moveTo(x.at(ms[0]), y0);
            int step = Math.max(1, ms.length / 2000);
            for (int i = 0; i < ms.length; i += step) {
                cdf.lineTo(x.at(ms[i]), y0 - plotH * (i + 1.0) / ms.length);
            }
            cdf.lineTo(x.at(ms[ms.length - 1]), TOP);
            g.setColor(new Color(200, 60, 40));
            g.setStroke(new BasicStroke(2f));
            g.draw(cdf);
        }

        // targets (dashed) and percentiles (solid)
        marker(g, x.at(50), plotH, new Color(0, 140, 0), true, "target p50 50 ms", 0);
        marker(g, x.at(250), plotH, new Color(0, 140, 0), true, "target p99 250 ms", 14);
        if (ms.length > 0) {
            marker(g, x.at(p50), plotH, Color.BLACK, false, "p50 " + format(p50) + " ms", 30);
            marker(g, x.at(p99), plotH, Color.BLACK, false, "p99 " + format(p99) + " ms", 44);
        }

        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.setColor(Color.BLACK);
        g.drawString(title, x0, 30);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.drawString("max " + format(max) + " ms", x0 + plotW - 110, 30);
        g.dispose();
        Files.createDirectories(png.toAbsolutePath().getParent());
        ImageIO.write(image, "png", png.toFile());
    }

    /** Pixel column of a latency in ms. */
    private interface Axis {
        int at(double ms);
    }

    private static void marker(Graphics2D g, int x, int plotH, Color color, boolean dashed, String label, int labelOffset) {
        g.setColor(color);
        g.setStroke(dashed ? new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] { 6f, 4f }, 0f)
                : new BasicStroke(1.5f));
        g.drawLine(x, TOP, x, TOP + plotH);
        g.setStroke(new BasicStroke(1f));
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        int width = g.getFontMetrics().stringWidth(label);
        // right of the line, or left of it near the right edge
        int left = x + 4 + width > WIDTH - RIGHT ? x - 4 - width : x + 4;
        g.setColor(new Color(255, 255, 255, 210));
        g.fillRect(left - 2, TOP + 3 + labelOffset, width + 4, 14);
        g.setColor(color);
        g.drawString(label, left, TOP + 14 + labelOffset);
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
