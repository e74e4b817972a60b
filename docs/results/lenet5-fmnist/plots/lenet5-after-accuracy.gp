# Re-render with: gnuplot lenet5-after-accuracy.gp (in this folder)
set terminal pngcairo size 900,560 font ",11"
set output "lenet5-after-accuracy.png"
set title "lenet5, pruned after training"
set key outside right top
set grid
set offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05
set xlabel "sparsity (fraction removed)"
set ylabel "test top-1, % (mean ± sd over seeds)"
plot "lenet5-after-accuracy.dat" index 0 using 1:2:3 with yerrorlines title "mipp", \
     "lenet5-after-accuracy.dat" index 1 using 1:2:3 with yerrorlines title "mipp+rw", \
     "lenet5-after-accuracy.dat" index 2 using 1:2:3 with yerrorlines title "magnitude", \
     "lenet5-after-accuracy.dat" index 3 using 1:2:3 with yerrorlines title "random", \
     "lenet5-after-accuracy.dat" index 4 using 1:2:3 with yerrorlines title "taylor", \
     "lenet5-after-accuracy.dat" index 5 using 1:2:3 with yerrorlines title "snip", \
     "lenet5-after-accuracy.dat" index 6 using 1:2:3 with yerrorlines title "grasp", \
     "lenet5-after-accuracy.dat" index 7 using 1:2:3 with yerrorlines title "synflow", \
     "lenet5-after-accuracy.dat" index 8 using 1:2:3 with yerrorlines title "prospr", \
     "lenet5-after-accuracy.dat" index 9 using 1:2:3 with yerrorlines title "submodular", \
     "lenet5-after-accuracy.dat" index 10 using 1:2:3 with yerrorlines title "thinet", \
     91.08333333333333 with lines dashtype 2 lc rgb "black" title "dense"
