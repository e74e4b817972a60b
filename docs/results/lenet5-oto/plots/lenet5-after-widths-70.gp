# Re-render with: gnuplot lenet5-after-widths-70.gp (in this folder)
set terminal pngcairo size 1200,600 font ",11" noenhanced
set output "lenet5-after-widths-70.png"
set title "lenet5, pruned after training: widths at 70% sparsity"
set key outside right top
set grid
set offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05
set xtics ("conv1" 0, "conv2" 1, "fc1" 2, "fc2" 3) rotate by -45
set ylabel "units kept (mean over seeds)"
set logscale y
plot "lenet5-after-widths-70.dat" index 0 using 1:2 with linespoints lc rgb "#1f77b4" dashtype 1 pointtype 1 title "MIPP (linear-Gaussian)", \
     "lenet5-after-widths-70.dat" index 1 using 1:2 with linespoints lc rgb "#ff7f0e" dashtype 1 pointtype 2 title "oto after 3 epochs of group-sparsity training (lambda 0.3)"
