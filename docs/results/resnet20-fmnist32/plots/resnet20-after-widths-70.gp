# Re-render with: gnuplot resnet20-after-widths-70.gp (in this folder)
set terminal pngcairo size 1200,600 font ",11" noenhanced
set output "resnet20-after-widths-70.png"
set title "resnet20, pruned after training: widths at 70% sparsity"
set key outside right top
set grid
set offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05
set xtics ("conv1" 0, "layer1.0.conv1" 1, "layer1.1.conv1" 2, "layer1.2.conv1" 3, "layer2.0.conv1" 4, "layer2.0.conv2" 5, "layer2.1.conv1" 6, "layer2.2.conv1" 7, "layer3.0.conv1" 8, "layer3.0.conv2" 9, "layer3.1.conv1" 10, "layer3.2.conv1" 11) rotate by -45
set ylabel "units kept (mean over seeds)"
set logscale y
plot "resnet20-after-widths-70.dat" index 0 using 1:2 with linespoints lc rgb "#1f77b4" dashtype 1 pointtype 1 title "MIPP (linear-Gaussian)", \
     "resnet20-after-widths-70.dat" index 1 using 1:2 with linespoints lc rgb "#ff7f0e" dashtype 1 pointtype 2 title "magnitude", \
     "resnet20-after-widths-70.dat" index 2 using 1:2 with linespoints lc rgb "#2ca02c" dashtype 1 pointtype 3 title "random", \
     "resnet20-after-widths-70.dat" index 3 using 1:2 with linespoints lc rgb "#d62728" dashtype 1 pointtype 4 title "taylor", \
     "resnet20-after-widths-70.dat" index 4 using 1:2 with linespoints lc rgb "#9467bd" dashtype 1 pointtype 5 title "snip", \
     "resnet20-after-widths-70.dat" index 5 using 1:2 with linespoints lc rgb "#8c564b" dashtype 1 pointtype 6 title "grasp", \
     "resnet20-after-widths-70.dat" index 6 using 1:2 with linespoints lc rgb "#e377c2" dashtype 1 pointtype 7 title "synflow, 100 exponential rounds", \
     "resnet20-after-widths-70.dat" index 7 using 1:2 with linespoints lc rgb "#7f7f7f" dashtype 1 pointtype 8 title "prospr", \
     "resnet20-after-widths-70.dat" index 8 using 1:2 with linespoints lc rgb "#bcbd22" dashtype 1 pointtype 9 title "submodular", \
     "resnet20-after-widths-70.dat" index 9 using 1:2 with linespoints lc rgb "#17becf" dashtype 1 pointtype 10 title "thinet", \
     "resnet20-after-widths-70.dat" index 10 using 1:2 with linespoints lc rgb "#1f77b4" dashtype 2 pointtype 11 title "MIPP (linear-Gaussian, next_layer pre-activations)", \
     "resnet20-after-widths-70.dat" index 11 using 1:2 with linespoints lc rgb "#ff7f0e" dashtype 2 pointtype 12 title "MIPP (linear-Gaussian) + reweight"
