# Re-render with: gnuplot lenet300-after-macs.gp (in this folder)
set terminal pngcairo size 1200,600 font ",11" noenhanced
set output "lenet300-after-macs.png"
set title "lenet300, pruned after training"
set key outside right top
set grid
set offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05
set xlabel "MACs per sample"
set logscale x
set ylabel "test top-1, % (mean ± sd over seeds)"
plot "lenet300-after-macs.dat" index 0 using 1:2:3 with yerrorlines lc rgb "#1f77b4" dashtype 1 pointtype 1 title "MIPP (linear-Gaussian)", \
     "lenet300-after-macs.dat" index 1 using 1:2:3 with yerrorlines lc rgb "#ff7f0e" dashtype 1 pointtype 2 title "sosp", \
     "lenet300-after-macs.dat" index 2 using 1:2:3 with yerrorlines lc rgb "#2ca02c" dashtype 1 pointtype 3 title "magnitude, 5 exponential rounds, 1 retraining epoch between (LR rewinding)", \
     "lenet300-after-macs.dat" index 3 using 1:2:3 with yerrorlines lc rgb "#d62728" dashtype 1 pointtype 4 title "synflow, 100 exponential rounds", \
     "lenet300-after-macs.dat" index 4 using 1:2:3 with yerrorlines lc rgb "#9467bd" dashtype 1 pointtype 5 title "grasp", \
     "lenet300-after-macs.dat" index 5 using 1:2:3 with yerrorlines lc rgb "#8c564b" dashtype 1 pointtype 6 title "thinet", \
     "lenet300-after-macs.dat" index 6 using 1:2:3 with yerrorlines lc rgb "#e377c2" dashtype 1 pointtype 7 title "submodular", \
     "lenet300-after-macs.dat" index 7 using 1:2:3 with yerrorlines lc rgb "#7f7f7f" dashtype 1 pointtype 8 title "random", \
     89.51 with lines dashtype 2 lc rgb "black" title "dense"
