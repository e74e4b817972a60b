# Re-render with: gnuplot lenet5-after-accuracy.gp (in this folder)
set terminal pngcairo size 1200,600 font ",11" noenhanced
set output "lenet5-after-accuracy.png"
set title "lenet5, pruned after training"
set key outside right top
set grid
set offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05
set xlabel "sparsity (fraction removed)"
set ylabel "test top-1, % (mean ± sd over seeds)"
plot "lenet5-after-accuracy.dat" index 0 using 1:2:3 with yerrorlines lc rgb "#1f77b4" dashtype 1 pointtype 1 title "MIPP (linear-Gaussian)", \
     "lenet5-after-accuracy.dat" index 1 using 1:2:3 with yerrorlines lc rgb "#ff7f0e" dashtype 1 pointtype 2 title "oto after 3 epochs of group-sparsity training (lambda 0.3)", \
     90.84 with lines dashtype 2 lc rgb "black" title "dense"
