# Re-render with: gnuplot lenet5-before-accuracy.gp (in this folder)
set terminal pngcairo size 1200,600 font ",11" noenhanced
set output "lenet5-before-accuracy.png"
set title "lenet5, pruned before training"
set key outside right top
set grid
set offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05
set xlabel "sparsity (fraction removed)"
set ylabel "test top-1, % (mean ± sd over seeds)"
plot "lenet5-before-accuracy.dat" index 0 using 1:2:3 with yerrorlines lc rgb "#1f77b4" dashtype 1 pointtype 1 title "MIPP (linear-Gaussian)", \
     "lenet5-before-accuracy.dat" index 1 using 1:2:3 with yerrorlines lc rgb "#ff7f0e" dashtype 1 pointtype 2 title "MIPP (linear-Gaussian, visit greedy)", \
     "lenet5-before-accuracy.dat" index 2 using 1:2:3 with yerrorlines lc rgb "#2ca02c" dashtype 1 pointtype 3 title "MIPP (linear-Gaussian, widths uniform)", \
     "lenet5-before-accuracy.dat" index 3 using 1:2:3 with yerrorlines lc rgb "#d62728" dashtype 1 pointtype 4 title "MIPP (linear-Gaussian, visit greedy, widths uniform)", \
     "lenet5-before-accuracy.dat" index 4 using 1:2:3 with yerrorlines lc rgb "#9467bd" dashtype 1 pointtype 5 title "random", \
     "lenet5-before-accuracy.dat" index 5 using 1:2:3 with yerrorlines lc rgb "#8c564b" dashtype 1 pointtype 6 title "snip"
