# finetune_lm end to end on 2 ranks under mlx.launch: the checkpoint of a
# short train_lm run is fine-tuned with LoRA on the German fortunes;
# check_finetune.sh checks the loss drop, the adapters file, the fused model
# and the frozen weights.
# Needs the two fortune packages, HDF5 checkpoints, and h5py for the check.
if(NOT MLX_BUILD_HDF5 OR NOT EXISTS /usr/share/games/fortunes/de/anekdoten
   OR NOT EXISTS /usr/share/games/fortunes/fortunes)
  message(STATUS "fortunes, fortunes-de or HDF5 missing: finetune_lm test skipped")
  return()
endif()
add_test(
  NAME Examples.FinetuneLmLoraTwoRanks
  COMMAND
    ${CMAKE_CURRENT_SOURCE_DIR}/check_finetune.sh
    ${CMAKE_CURRENT_BINARY_DIR}/finetune $<TARGET_FILE:train_lm>
    $<TARGET_FILE:finetune_lm> $<TARGET_FILE:mlx_launch> 28800)
set_tests_properties(Examples.FinetuneLmLoraTwoRanks PROPERTIES TIMEOUT 300
                                                                PROCESSORS 2)
