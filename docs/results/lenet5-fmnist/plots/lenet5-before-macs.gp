# Re-render with: gnuplot lenet5-before-macs.gp (in this folder)
set terminal pngcairo size 900,560 font ",11"
set output "lenet5-before-macs.png"
set title "lenet5, pruned before training"
set key outside right top
set grid
set offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05
set xlabel "MACs per sample"
set logscale x
set ylabel "test top-1, % (mean ± sd over seeds)"
plot "lenet5-before-macs.dat" index 0 using 1:2:3 with yerrorlines title "mipp", \
     "lenet5-before-macs.dat" index 1 using 1:2:3 with yerrorlines title "random", \
     "lenet5-before-macs.dat" index 2 using 1:2:3 with yerrorlines title "snip", \
     "lenet5-before-macs.dat" index 3 using 1:2:3 with yerrorlines title "grasp", \
     "lenet5-before-macs.dat" index 4 using 1:2:3 with yerrorlines title "synflow", \
     "lenet5-before-macs.dat" index 5 using 1:2:3 with yerrorlines title "prospr", \
     91.08333333333333 with lines dashtype 2 lc rgb "black" title "dense"
