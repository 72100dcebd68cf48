## Digilent Arty A7-35T (xc7a35ticsg324-1L), pins of a `board_top` with the same ports
## (clk, rst, uart_rx, uart_tx, led[3:0]).
##
## Source: Digilent/digilent-xdc Arty-A7-35-Master.xdc ("for the Arty A7-35 Rev. D and
## Rev. E"): CLK100MHZ E3 (IO_L12P_T1_MRCC_35); ck_rst C2 (the red RESET button, low when
## pressed); uart_txd_in A9 (host to FPGA); uart_rxd_out D10 (FPGA to host); led[0..3] H5 J5
## T9 T10 (green LEDs LD4..LD7, active high).
## The board clock is 100 MHz: the `board_top` preset `arty_a7_35` sets the UART divider from
## it (868 clocks a bit) and takes `rst` active low. For Vivado (the README gives the commands):
## no open place and route for the 7 series is in this repository; not verified on hardware.

set_property -dict { PACKAGE_PIN E3    IOSTANDARD LVCMOS33 } [get_ports { clk }];
create_clock -add -name sys_clk_pin -period 10.00 -waveform {0 5} [get_ports { clk }];

## RESET button (ck_rst): active low
set_property -dict { PACKAGE_PIN C2    IOSTANDARD LVCMOS33 } [get_ports { rst }];

## USB-UART (FT2232HQ channel B)
set_property -dict { PACKAGE_PIN A9    IOSTANDARD LVCMOS33 } [get_ports { uart_rx }];
set_property -dict { PACKAGE_PIN D10   IOSTANDARD LVCMOS33 } [get_ports { uart_tx }];

## LEDs LD4..LD7
set_property -dict { PACKAGE_PIN H5    IOSTANDARD LVCMOS33 } [get_ports { led[0] }];
set_property -dict { PACKAGE_PIN J5    IOSTANDARD LVCMOS33 } [get_ports { led[1] }];
set_property -dict { PACKAGE_PIN T9    IOSTANDARD LVCMOS33 } [get_ports { led[2] }];
set_property -dict { PACKAGE_PIN T10   IOSTANDARD LVCMOS33 } [get_ports { led[3] }];
