# Re-render with: gnuplot vgg11-w0.5-after-accuracy.gp (in this folder)
set terminal pngcairo size 900,560 font ",11"
set output "vgg11-w0.5-after-accuracy.png"
set title "vgg11-w0.5, pruned after training"
set key outside right top
set grid
set offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05
set xlabel "sparsity (fraction removed)"
set ylabel "test top-1, % (mean ± sd over seeds)"
plot "vgg11-w0.5-after-accuracy.dat" index 0 using 1:2:3 with yerrorlines title "mipp", \
     "vgg11-w0.5-after-accuracy.dat" index 1 using 1:2:3 with yerrorlines title "magnitude", \
     "vgg11-w0.5-after-accuracy.dat" index 2 using 1:2:3 with yerrorlines title "random", \
     "vgg11-w0.5-after-accuracy.dat" index 3 using 1:2:3 with yerrorlines title "taylor", \
     "vgg11-w0.5-after-accuracy.dat" index 4 using 1:2:3 with yerrorlines title "snip", \
     "vgg11-w0.5-after-accuracy.dat" index 5 using 1:2:3 with yerrorlines title "grasp", \
     "vgg11-w0.5-after-accuracy.dat" index 6 using 1:2:3 with yerrorlines title "synflow", \
     "vgg11-w0.5-after-accuracy.dat" index 7 using 1:2:3 with yerrorlines title "prospr", \
     "vgg11-w0.5-after-accuracy.dat" index 8 using 1:2:3 with yerrorlines title "submodular", \
     "vgg11-w0.5-after-accuracy.dat" index 9 using 1:2:3 with yerrorlines title "thinet", \
     93.21000000000001 with lines dashtype 2 lc rgb "black" title "dense"
