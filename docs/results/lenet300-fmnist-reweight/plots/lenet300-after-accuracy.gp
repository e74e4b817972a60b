# Re-render with: gnuplot lenet300-after-accuracy.gp (in this folder)
set terminal pngcairo size 900,560 font ",11"
set output "lenet300-after-accuracy.png"
set title "lenet300, pruned after training"
set key outside right top
set grid
set offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05
set xlabel "sparsity (fraction removed)"
set ylabel "test top-1, % (mean ± sd over seeds)"
plot "lenet300-after-accuracy.dat" index 0 using 1:2:3 with yerrorlines title "mipp", \
     "lenet300-after-accuracy.dat" index 1 using 1:2:3 with yerrorlines title "mipp+rw", \
     "lenet300-after-accuracy.dat" index 2 using 1:2:3 with yerrorlines title "submodular", \
     "lenet300-after-accuracy.dat" index 3 using 1:2:3 with yerrorlines title "thinet+rw", \
     "lenet300-after-accuracy.dat" index 4 using 1:2:3 with yerrorlines title "synflow+rw", \
     "lenet300-after-accuracy.dat" index 5 using 1:2:3 with yerrorlines title "snip+rw", \
     "lenet300-after-accuracy.dat" index 6 using 1:2:3 with yerrorlines title "taylor+rw", \
     89.55000000000001 with lines dashtype 2 lc rgb "black" title "dense"
