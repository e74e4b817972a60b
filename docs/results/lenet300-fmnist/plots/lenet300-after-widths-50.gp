# Re-render with: gnuplot lenet300-after-widths-50.gp (in this folder)
set terminal pngcairo size 900,560 font ",11"
set output "lenet300-after-widths-50.png"
set title "lenet300, pruned after training: widths at 50% sparsity"
set key outside right top
set grid
set offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05
set xtics ("fc1" 0, "fc2" 1) rotate by -45
set ylabel "units kept (mean over seeds)"
set logscale y
plot "lenet300-after-widths-50.dat" index 0 using 1:2 with linespoints title "mipp", \
     "lenet300-after-widths-50.dat" index 1 using 1:2 with linespoints title "mipp-inputs-first", \
     "lenet300-after-widths-50.dat" index 2 using 1:2 with linespoints title "magnitude", \
     "lenet300-after-widths-50.dat" index 3 using 1:2 with linespoints title "random", \
     "lenet300-after-widths-50.dat" index 4 using 1:2 with linespoints title "taylor", \
     "lenet300-after-widths-50.dat" index 5 using 1:2 with linespoints title "snip", \
     "lenet300-after-widths-50.dat" index 6 using 1:2 with linespoints title "grasp", \
     "lenet300-after-widths-50.dat" index 7 using 1:2 with linespoints title "synflow", \
     "lenet300-after-widths-50.dat" index 8 using 1:2 with linespoints title "prospr", \
     "lenet300-after-widths-50.dat" index 9 using 1:2 with linespoints title "submodular", \
     "lenet300-after-widths-50.dat" index 10 using 1:2 with linespoints title "thinet"
