# Re-render with: gnuplot lenet5-after-widths-70.gp (in this folder)
set terminal pngcairo size 900,560 font ",11"
set output "lenet5-after-widths-70.png"
set title "lenet5, pruned after training: widths at 70% sparsity"
set key outside right top
set grid
set offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05
set xtics ("conv1" 0, "conv2" 1, "fc1" 2, "fc2" 3) rotate by -45
set ylabel "units kept (mean over seeds)"
set logscale y
plot "lenet5-after-widths-70.dat" index 0 using 1:2 with linespoints title "mipp", \
     "lenet5-after-widths-70.dat" index 1 using 1:2 with linespoints title "mipp+rw", \
     "lenet5-after-widths-70.dat" index 2 using 1:2 with linespoints title "magnitude", \
     "lenet5-after-widths-70.dat" index 3 using 1:2 with linespoints title "random", \
     "lenet5-after-widths-70.dat" index 4 using 1:2 with linespoints title "taylor", \
     "lenet5-after-widths-70.dat" index 5 using 1:2 with linespoints title "snip", \
     "lenet5-after-widths-70.dat" index 6 using 1:2 with linespoints title "grasp", \
     "lenet5-after-widths-70.dat" index 7 using 1:2 with linespoints title "synflow", \
     "lenet5-after-widths-70.dat" index 8 using 1:2 with linespoints title "prospr", \
     "lenet5-after-widths-70.dat" index 9 using 1:2 with linespoints title "submodular", \
     "lenet5-after-widths-70.dat" index 10 using 1:2 with linespoints title "thinet"
