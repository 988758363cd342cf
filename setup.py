# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""ament_python package setup: runtime package, nodes, launch/config/models in share/."""

from glob import glob

from setuptools import find_packages, setup

PACKAGE = 'fm_pose_ros'

setup(
    name=PACKAGE,
    version='0.8.0',
    packages=find_packages(include=[PACKAGE, PACKAGE + '.*']),
    data_files=[
        ('share/ament_index/resource_index/packages', ['resource/' + PACKAGE]),
        ('share/' + PACKAGE, ['package.xml']),
        ('share/' + PACKAGE + '/launch', glob('launch/*.launch.py')),
        ('share/' + PACKAGE + '/config',
         glob('config/*.yaml') + glob('config/*.rviz') + glob('config/*.xml')),
        ('share/' + PACKAGE + '/models', glob('models/*.safetensors') + glob('models/*.json')),
    ],
    # ROS packages (rclpy, the message packages) come from package.xml / the ros-* wheels
    install_requires=['setuptools', 'numpy', 'opencv-python-headless', 'scipy', 'safetensors',
                      'torch>=2.2', 'onnxruntime', 'pyyaml'],
    extras_require={
        'evaluation': ['rosbags', 'mcap', 'matplotlib', 'tqdm'],
        'training': ['rosbags', 'matplotlib', 'tqdm', 'numba', 'onnx', 'moderngl', 'trimesh',
                     'scikit-image', 'pybullet', 'plyfile', 'tensorboard'],
    },
    zip_safe=True,
    maintainer='fm_pose_ros maintainers',
    maintainer_email='maintainers@fm-pose-ros.invalid',
    description='Feature Mapping hand pose from depth (/hand_joints) and object 6-DoF pose '
                'from RGB (/object_pose) for ROS 2.',
    license='Apache-2.0',
    entry_points={
        'console_scripts': [
            'hand_node = fm_pose_ros.ros.main:hand_node',
            'object_node = fm_pose_ros.ros.main:object_node',
            'replay_eval = fm_pose_ros.evaluation.replay_eval:main',
        ],
    },
)
