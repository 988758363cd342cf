# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""swap_locator: the network of one file, the locator of another, nothing else changed."""

from conftest import constant_locator, write_hand_weights_with_locator
from safetensors.torch import save_file
import torch

from fm_pose_ros.core.networks import HAND_LOCATOR
from fm_pose_ros.core.weights import load_hand_parts
from training.config import DataConfig
from training.hand.data import hand_locator_config
from training.tools.swap_locator import main


def test_the_locator_is_swapped_and_the_network_kept(tmp_path):
    weights = write_hand_weights_with_locator(tmp_path / 'hand.safetensors', 10.0)
    other = constant_locator(HAND_LOCATOR, -10.0)
    save_file({k: v.contiguous() for k, v in other.state_dict().items()},
              tmp_path / 'locator.safetensors')
    out = tmp_path / 'swapped.safetensors'
    assert main(['--weights', str(weights), '--locator', str(tmp_path / 'locator.safetensors'),
                 '--out', str(out)]) == 0
    before, after = load_hand_parts(weights), load_hand_parts(out)
    for a, b in zip(before[0].state_dict().values(), after[0].state_dict().values()):
        assert torch.equal(a, b)
    assert before[3] == after[3]
    for name, value in other.state_dict().items():
        assert torch.allclose(after[1].state_dict()[name].float(), value.float())
    assert not torch.allclose(after[1].state_dict()[name].float(),
                              before[1].state_dict()[name].float())


def test_a_bad_locator_file_is_one_line(tmp_path, capsys):
    weights = write_hand_weights_with_locator(tmp_path / 'hand.safetensors', 10.0)
    (tmp_path / 'bad.safetensors').write_bytes(b'not a file')
    assert main(['--weights', str(weights), '--locator', str(tmp_path / 'bad.safetensors'),
                 '--out', str(tmp_path / 'x.safetensors')]) == 1
    err = capsys.readouterr().err
    assert err.startswith('swap_locator: ') and err.count('\n') == 1
    assert not (tmp_path / 'x.safetensors').exists()


def test_a_wider_locator_is_swapped_in_with_its_dilations(tmp_path):
    weights = write_hand_weights_with_locator(tmp_path / 'hand.safetensors', 10.0)
    cfg = hand_locator_config(DataConfig(locator_channels=(16, 32, 24, 24, 24, 24),
                                         locator_dilations=(2, 4, 8, 16)))
    save_file({k: v.contiguous() for k, v in constant_locator(cfg, -10.0).state_dict().items()},
              tmp_path / 'wide.safetensors')
    out = tmp_path / 'swapped.safetensors'
    assert main(['--weights', str(weights), '--locator', str(tmp_path / 'wide.safetensors'),
                 '--out', str(out), '--dilations', '2,4,8,16']) == 0
    locator = load_hand_parts(out)[1]
    assert locator.cfg == cfg             # channels read from the file
    assert torch.sigmoid(locator(torch.zeros(1, 1, 120, 160))).max() < 0.01
    # the wrong architecture is one line, not a traceback
    assert main(['--weights', str(weights), '--locator', str(tmp_path / 'wide.safetensors'),
                 '--out', str(tmp_path / 'x.safetensors')]) == 1
