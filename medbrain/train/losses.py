"""The seed recipe's loss: a * BCE (or CE) + (1 - a) * soft Dice, for both heads."""

from __future__ import annotations

import torch
import torch.nn.functional as F

SOFTMAX_CLASS_OF_LABEL = {0: 0, 1: 1, 2: 2, 4: 3}


def label_to_regions(label: torch.Tensor) -> torch.Tensor:
    """(B, H, W) internal labels -> (B, 3, H, W) float WT/TC/ET targets."""
    wt = label > 0
    tc = (label == 1) | (label == 4)
    et = label == 4
    return torch.stack([wt, tc, et], dim=1).float()


def label_to_classes(label: torch.Tensor) -> torch.Tensor:
    """(B, H, W) internal labels -> class indices 0..3 for the softmax head."""
    out = label.long().clone()
    out[label == 4] = 3
    return out


def soft_dice_loss(probs: torch.Tensor, target: torch.Tensor, eps: float = 1.0) -> torch.Tensor:
    """1 - mean over channels of the batch soft Dice."""
    dims = (0, 2, 3)
    inter = (probs * target).sum(dims)
    denom = probs.sum(dims) + target.sum(dims)
    return 1 - ((2 * inter + eps) / (denom + eps)).mean()


def segmentation_loss(logits: torch.Tensor, label: torch.Tensor, head: str, alpha: float = 0.4) -> torch.Tensor:
    """``alpha * BCE + (1 - alpha) * Dice`` (regions) or the CE analogue (softmax)."""
    logits = logits.float()
    if head == "regions":
        target = label_to_regions(label)
        bce = F.binary_cross_entropy_with_logits(logits, target)
        return alpha * bce + (1 - alpha) * soft_dice_loss(torch.sigmoid(logits), target)
    classes = label_to_classes(label)
    ce = F.cross_entropy(logits, classes)
    onehot = F.one_hot(classes, 4).permute(0, 3, 1, 2).float()
    probs = torch.softmax(logits, dim=1)
    return alpha * ce + (1 - alpha) * soft_dice_loss(probs[:, 1:], onehot[:, 1:])
