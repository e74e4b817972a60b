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
     "lenet300-after-macs.dat" index 1 using 1:2:3 with yerrorlines lc rgb "#ff7f0e" dashtype 1 pointtype 2 title "oto after 3 epochs of group-sparsity training (lambda 0.3)", \
     89.51 with lines dashtype 2 lc rgb "black" title "dense"
