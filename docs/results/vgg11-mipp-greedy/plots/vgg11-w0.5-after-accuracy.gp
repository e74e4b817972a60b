# Re-render with: gnuplot vgg11-w0.5-after-accuracy.gp (in this folder)
set terminal pngcairo size 1200,600 font ",11" noenhanced
set output "vgg11-w0.5-after-accuracy.png"
set title "vgg11-w0.5, pruned after training"
set key outside right top
set grid
set offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05
set xlabel "sparsity (fraction removed)"
set ylabel "test top-1, % (mean ± sd over seeds)"
plot "vgg11-w0.5-after-accuracy.dat" index 0 using 1:2:3 with yerrorlines lc rgb "#1f77b4" dashtype 1 pointtype 1 title "MIPP (linear-Gaussian)", \
     "vgg11-w0.5-after-accuracy.dat" index 1 using 1:2:3 with yerrorlines lc rgb "#ff7f0e" dashtype 1 pointtype 2 title "MIPP (linear-Gaussian) + reweight", \
     "vgg11-w0.5-after-accuracy.dat" index 2 using 1:2:3 with yerrorlines lc rgb "#2ca02c" dashtype 1 pointtype 3 title "MIPP (linear-Gaussian, visit greedy) + reweight", \
     "vgg11-w0.5-after-accuracy.dat" index 3 using 1:2:3 with yerrorlines lc rgb "#d62728" dashtype 1 pointtype 4 title "submodular", \
     "vgg11-w0.5-after-accuracy.dat" index 4 using 1:2:3 with yerrorlines lc rgb "#9467bd" dashtype 1 pointtype 5 title "synflow, 100 exponential rounds", \
     93.4 with lines dashtype 2 lc rgb "black" title "dense"
