/**
 * Inverts a small dense matrix by Gauss-Jordan elimination with partial pivoting. The Markov model
 * uses it for the fundamental matrix N = (I - Q)^-1 of an absorbing chain, whose size is the number
 * of channels (tens), so O(n^3) is nothing next to reading the paths.
 */

/** `matrix` is n x n, row-major; it is overwritten. Returns the inverse, row-major. */
export function invertInPlace(matrix: Float64Array, n: number): Float64Array {
  const inverse = new Float64Array(n * n);
  for (let i = 0; i < n; i += 1) inverse[i * n + i] = 1;
  for (let column = 0; column < n; column += 1) {
    let pivotRow = column;
    let pivotSize = Math.abs(matrix[column * n + column]!);
    for (let row = column + 1; row < n; row += 1) {
      const size = Math.abs(matrix[row * n + column]!);
      if (size > pivotSize) {
        pivotRow = row;
        pivotSize = size;
      }
    }
    if (!(pivotSize > 1e-300)) throw new Error('the matrix is singular');
    if (pivotRow !== column) {
      swapRows(matrix, n, pivotRow, column);
      swapRows(inverse, n, pivotRow, column);
    }
    const pivot = matrix[column * n + column]!;
    for (let k = 0; k < n; k += 1) {
      matrix[column * n + k]! /= pivot;
      inverse[column * n + k]! /= pivot;
    }
    for (let row = 0; row < n; row += 1) {
      if (row === column) continue;
      const factor = matrix[row * n + column]!;
      if (factor === 0) continue;
      for (let k = 0; k < n; k += 1) {
        matrix[row * n + k]! -= factor * matrix[column * n + k]!;
        inverse[row * n + k]! -= factor * inverse[column * n + k]!;
      }
    }
  }
  return inverse;
}

function swapRows(matrix: Float64Array, n: number, a: number, b: number): void {
  for (let k = 0; k < n; k += 1) {
    const held = matrix[a * n + k]!;
    matrix[a * n + k] = matrix[b * n + k]!;
    matrix[b * n + k] = held;
  }
}
