# Re-render with: gnuplot resnet20-after-accuracy.gp (in this folder)
set terminal pngcairo size 1200,600 font ",11" noenhanced
set output "resnet20-after-accuracy.png"
set title "resnet20, pruned after training"
set key outside right top
set grid
set offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05
set xlabel "sparsity (fraction removed)"
set ylabel "test top-1, % (mean ± sd over seeds)"
plot "resnet20-after-accuracy.dat" index 0 using 1:2:3 with yerrorlines lc rgb "#1f77b4" dashtype 1 pointtype 1 title "MIPP (linear-Gaussian)", \
     "resnet20-after-accuracy.dat" index 1 using 1:2:3 with yerrorlines lc rgb "#ff7f0e" dashtype 1 pointtype 2 title "magnitude", \
     "resnet20-after-accuracy.dat" index 2 using 1:2:3 with yerrorlines lc rgb "#2ca02c" dashtype 1 pointtype 3 title "random", \
     "resnet20-after-accuracy.dat" index 3 using 1:2:3 with yerrorlines lc rgb "#d62728" dashtype 1 pointtype 4 title "taylor", \
     "resnet20-after-accuracy.dat" index 4 using 1:2:3 with yerrorlines lc rgb "#9467bd" dashtype 1 pointtype 5 title "snip", \
     "resnet20-after-accuracy.dat" index 5 using 1:2:3 with yerrorlines lc rgb "#8c564b" dashtype 1 pointtype 6 title "grasp", \
     "resnet20-after-accuracy.dat" index 6 using 1:2:3 with yerrorlines lc rgb "#e377c2" dashtype 1 pointtype 7 title "synflow, 100 exponential rounds", \
     "resnet20-after-accuracy.dat" index 7 using 1:2:3 with yerrorlines lc rgb "#7f7f7f" dashtype 1 pointtype 8 title "prospr", \
     "resnet20-after-accuracy.dat" index 8 using 1:2:3 with yerrorlines lc rgb "#bcbd22" dashtype 1 pointtype 9 title "submodular", \
     "resnet20-after-accuracy.dat" index 9 using 1:2:3 with yerrorlines lc rgb "#17becf" dashtype 1 pointtype 10 title "thinet", \
     "resnet20-after-accuracy.dat" index 10 using 1:2:3 with yerrorlines lc rgb "#1f77b4" dashtype 2 pointtype 11 title "MIPP (linear-Gaussian, next_layer pre-activations)", \
     93.33 with lines dashtype 2 lc rgb "black" title "dense"
