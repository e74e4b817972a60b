# Re-render with: gnuplot vgg11-w0.5-after-widths-70.gp (in this folder)
set terminal pngcairo size 1200,600 font ",11" noenhanced
set output "vgg11-w0.5-after-widths-70.png"
set title "vgg11-w0.5, pruned after training: widths at 70% sparsity"
set key outside right top
set grid
set offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05
set xtics ("features.0" 0, "features.4" 1, "features.8" 2, "features.11" 3, "features.15" 4, "features.18" 5, "features.22" 6, "features.25" 7) rotate by -45
set ylabel "units kept (mean over seeds)"
set logscale y
plot "vgg11-w0.5-after-widths-70.dat" index 0 using 1:2 with linespoints lc rgb "#1f77b4" dashtype 1 pointtype 1 title "MIPP (linear-Gaussian)", \
     "vgg11-w0.5-after-widths-70.dat" index 1 using 1:2 with linespoints lc rgb "#ff7f0e" dashtype 1 pointtype 2 title "MIPP (linear-Gaussian) + reweight", \
     "vgg11-w0.5-after-widths-70.dat" index 2 using 1:2 with linespoints lc rgb "#2ca02c" dashtype 1 pointtype 3 title "MIPP (linear-Gaussian, visit greedy) + reweight", \
     "vgg11-w0.5-after-widths-70.dat" index 3 using 1:2 with linespoints lc rgb "#d62728" dashtype 1 pointtype 4 title "submodular", \
     "vgg11-w0.5-after-widths-70.dat" index 4 using 1:2 with linespoints lc rgb "#9467bd" dashtype 1 pointtype 5 title "synflow, 100 exponential rounds"
