#pragma once
// Basic numeric types shared by the whole engine.

#include <Eigen/Core>

#include <cstdint>
#include <string>
#include <vector>

namespace gsn {

// Row-major float matrix: rows are examples / chains, columns are units or pixels.
using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Vector = Eigen::VectorXf;
using RowVector = Eigen::Matrix<float, 1, Eigen::Dynamic>;

// A named parameter (weights, biases, momentum buffers) as the checkpoint sees it.
// `value` points into the owning model; rows x cols is the tensor's shape (a bias is 1 x n).
struct ParamRef {
    std::string name;
    Matrix* value = nullptr;
};

} // namespace gsn
