package org.taylormlp.eval;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.taylormlp.TaylorMlpException;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** PNG plots for eval reports (XChart, headless). */
public final class Charts {
    private Charts() {}

    static {
        System.setProperty("java.awt.headless", "true");
    }

    /** One line of an XY plot; lines of the same {@code group} share a colour, {@code dashed} ones are drawn dashed. */
    public record Line(String name, double[] x, double[] y, int group, boolean dashed) {
        public Line(String name, double[] x, double[] y) { this(name, x, y, -1, false); }
    }

    private static final java.awt.Color[] PALETTE = {new java.awt.Color(0x1f77b4), new java.awt.Color(0xd62728),
            new java.awt.Color(0x2ca02c), new java.awt.Color(0x9467bd), new java.awt.Color(0xff7f0e), new java.awt.Color(0x8c564b)};

    public static void xy(Path png, String title, String xTitle, String yTitle, List<Line> lines, boolean logY) {
        XYChart c = new XYChartBuilder().width(720).height(440).title(title).xAxisTitle(xTitle).yAxisTitle(yTitle).build();
        style(c.getStyler());
        c.getStyler().setLegendPosition(logY ? Styler.LegendPosition.InsideNE : Styler.LegendPosition.InsideNW);
        c.getStyler().setYAxisLogarithmic(logY);
        c.getStyler().setMarkerSize(7);
        for (Line l : lines) {
            List<Double> xs = new ArrayList<>(), ys = new ArrayList<>();
            for (int i = 0; i < l.x().length; i++) {
                if (Double.isFinite(l.y()[i]) && (!logY || l.y()[i] > 0)) {
                    xs.add(l.x()[i]);
                    ys.add(l.y()[i]);
                }
            }
            if (xs.isEmpty()) continue;
            XYSeries s = c.addSeries(l.name(), xs, ys);
            s.setMarker(l.dashed() ? SeriesMarkers.NONE : SeriesMarkers.CIRCLE);
            if (l.group() >= 0) {
                java.awt.Color col = PALETTE[l.group() % PALETTE.length];
                s.setLineColor(col);
                s.setMarkerColor(col);
            }
            if (l.dashed()) s.setLineStyle(org.knowm.xchart.style.lines.SeriesLines.DASH_DASH);
        }
        save(c, png);
    }

    /** Grouped bars: categories on x, one series per map entry. */
    public static void bars(Path png, String title, String yTitle, List<String> categories, Map<String, double[]> series,
                            Double yMax) {
        CategoryChart c = new CategoryChartBuilder().width(720).height(440).title(title).yAxisTitle(yTitle).build();
        style(c.getStyler());
        c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        if (yMax != null) {
            c.getStyler().setYAxisMin(0.0);
            c.getStyler().setYAxisMax(yMax);
        }
        for (Map.Entry<String, double[]> e : series.entrySet()) {
            List<Double> ys = new ArrayList<>();
            for (double v : e.getValue()) ys.add(Double.isFinite(v) ? v : 0.0);
            c.addSeries(e.getKey(), categories, ys);
        }
        save(c, png);
    }

    private static void style(Styler s) {
        s.setChartBackgroundColor(java.awt.Color.WHITE);
        s.setAntiAlias(true);
    }

    private static void save(org.knowm.xchart.internal.chartpart.Chart<?, ?> c, Path png) {
        try {
            org.taylormlp.format.AtomicFiles.writeBytes(png, BitmapEncoder.getBitmapBytes(c, BitmapEncoder.BitmapFormat.PNG));
        } catch (IOException e) {
            throw new TaylorMlpException("cannot write " + png + ": " + e.getMessage(), e);
        }
    }
}
