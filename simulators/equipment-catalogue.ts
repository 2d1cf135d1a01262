import { airCompressor } from './air-compressor.ts';
import { centrifugalPump } from './centrifugal-pump.ts';
import type { EquipmentModel, EquipmentType } from './equipment-model.ts';
import { motorGearbox } from './motor-gearbox.ts';

/** Every simulated equipment type, and the prefix of its device ids. */
export const EQUIPMENT_CATALOGUE: Readonly<Record<EquipmentType, { readonly model: EquipmentModel; readonly idPrefix: string }>> = {
  centrifugal_pump: { model: centrifugalPump, idPrefix: 'pump' },
  air_compressor: { model: airCompressor, idPrefix: 'compressor' },
  motor_gearbox: { model: motorGearbox, idPrefix: 'drive' },
};

export function equipmentModel(type: EquipmentType): EquipmentModel {
  return EQUIPMENT_CATALOGUE[type].model;
}
