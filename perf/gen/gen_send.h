/* SPDX-License-Identifier: BSD-3-Clause */
/* riptide-gen send: frames of a pcap into a DPDK port (gen_send.c). */
#ifndef RIPTIDE_GEN_SEND_H
#define RIPTIDE_GEN_SEND_H

/* argv[0] is "send". Returns the exit status. */
int gen_send_main(int argc, char **argv);

#endif
