# Re-render with: gnuplot lenet300-before-macs.gp (in this folder)
set terminal pngcairo size 1200,600 font ",11" noenhanced
set output "lenet300-before-macs.png"
set title "lenet300, pruned before training"
set key outside right top
set grid
set offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05
set xlabel "MACs per sample"
set logscale x
set ylabel "test top-1, % (mean ± sd over seeds)"
plot "lenet300-before-macs.dat" index 0 using 1:2:3 with yerrorlines lc rgb "#1f77b4" dashtype 1 pointtype 1 title "MIPP (linear-Gaussian)", \
     "lenet300-before-macs.dat" index 1 using 1:2:3 with yerrorlines lc rgb "#ff7f0e" dashtype 1 pointtype 2 title "MIPP (linear-Gaussian, visit greedy)", \
     "lenet300-before-macs.dat" index 2 using 1:2:3 with yerrorlines lc rgb "#2ca02c" dashtype 1 pointtype 3 title "MIPP (linear-Gaussian, widths uniform)", \
     "lenet300-before-macs.dat" index 3 using 1:2:3 with yerrorlines lc rgb "#d62728" dashtype 1 pointtype 4 title "MIPP (linear-Gaussian, visit greedy, widths uniform)", \
     "lenet300-before-macs.dat" index 4 using 1:2:3 with yerrorlines lc rgb "#9467bd" dashtype 1 pointtype 5 title "random", \
     "lenet300-before-macs.dat" index 5 using 1:2:3 with yerrorlines lc rgb "#8c564b" dashtype 1 pointtype 6 title "snip"
