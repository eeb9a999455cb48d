/* amx_tile_config.h: the operand of LDTILECFG (palette 1), shared by the
 * AMX kernels: each tile register's rows and bytes a row. */
#ifndef MN_AMX_TILE_CONFIG_H
#define MN_AMX_TILE_CONFIG_H

#include <stdint.h>

typedef struct {
  uint8_t palette, start_row;
  uint8_t reserved[14];
  uint16_t colsb[16];
  uint8_t rows[16];
} mn_amx_tile_config;

#endif /* MN_AMX_TILE_CONFIG_H */
